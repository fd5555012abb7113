"""Who may do what, over both APIs: every principal kind against the same operations, each cell
asserted allowed (the operation succeeds) or denied (403 in the protocol's own form; a catalog
request without credentials gets the catalog's 401).

Every operation the server routes has at least one column: each S3 operation (`Operation`), each
admin action (`AdminRoute`) and each catalog endpoint (`CatalogRoute.endpoint`).
test_every_routed_operation_has_a_column reads those route tables from Sources/ and fails when one
has no column in S3_COLUMNS / ADMIN_COLUMNS / CATALOG_COLUMNS, so a new operation cannot ship
without its row of expectations.

The expected cells are derived from each principal's policies (written out in `world`), never from
what the server answers: an operation that touches several resources (a copy's source and
destination, each key of a DeleteObjects, both tables of a rename, every table of a transaction) is
allowed only when every one of them is. Wherever an operation changes something, the change is
checked afterwards as root: an allowed cell must have made it, a denied one must have left no trace."""
import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from floe_harness import ROOT_PASSWORD, ROOT_USER, error_code, new_server

ALLOW, DENY = "allow", "deny"
WAREHOUSE = "lakehouse"
DELEGATION = {"X-Iceberg-Access-Delegation": "vended-credentials"}

# Principals (rows):
#   root              the root credentials
#   admin / readwrite / readonly   users with the built-in policy of that name
#   prefix            user allowed Get/Put on <bucket>/landing/* and to list landing/ only
#   star              user with two Allow statements on arn:aws:s3:::* only, {"Action": "*"} and {"NotAction": "s3:GetObject"}:
#                     all of S3, no admin (arn:floe:admin:::…), no catalog (arn:floe:iceberg:::…)
#   useradmin         user allowed admin:ListUsers on arn:floe:admin:::users and admin:CreateUser / admin:CreateGroup on
#                     users/* and groups/*, nothing else (no AttachPolicy)
#   group             user with no policy of its own, member of a group allowed Get/Put/Delete on <bucket>/landing/* (nothing on
#                     the bucket itself), iceberg:* on namespace mx, List/Load on every catalog resource, admin:ListUsers, and a
#                     Deny of s3:DeleteObject on the warehouse bucket
#   service           service account of readwrite narrowed to Get/List on <bucket>
#   session           STS session of readwrite narrowed to Get on <bucket>/gold/* and on the warehouse bucket, and to
#                     iceberg List/Load namespaces and tables and UpdateTable
#   vended            S3 credentials the catalog vends to `group` for table mx.t (read-write: group may update it); its S3
#                     cells run against the warehouse bucket, `landing` being the table's data/ folder and `gold` a folder
#                     of the table that the warehouse bucket's policy denies to everyone
#   vended-session    credentials vended for mx.t to `session`: the session's narrowing (Get only) still applies
#   anonymous         no credentials; the bucket has no policy
#   anonymous-public  no credentials; a bucket whose policy lets anyone Get gold/*
#   anonymous-upload  no credentials; a bucket whose policy lets anyone Get/Put/Delete landing/*
# A row's bucket (main bucket, public or upload bucket, or the warehouse for the vended rows) has a policy and tags,
# a CORS configuration, a Public Access Block that blocks nothing and Object Ownership controls.
#
# Operations (columns) and, per principal (rows), the expected outcome: A allowed, D denied, `-` not
# applicable (no cell uses it today). `landing`, `gold` are the two folders of the row's bucket;
# `foreign` is an object in another bucket only root and the s3:* users may read.
OPERATIONS = ["ListBuckets", "CreateBucket", "ListObjects", "ListLanding", "GetLanding", "GetGold", "PutLanding", "PutGold",
              "DeleteLanding", "PutBucketPolicy", "AdminListUsers",
              "ListNamespaces", "CreateNamespace", "LoadTable", "CreateTable", "DropTable"]
MATRIX = {
    #                  LB  CB  LO  LL  GL  GG  PL  PG  DL  PBP ADM  LN  CN  LT  CT  DT
    "root":           "A   A   A   A   A   A   A   A   A   A   A    A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A   A   A    A   A   A   A   A",
    "readwrite":      "A   A   A   A   A   A   A   A   A   A   D    A   A   A   A   A",
    "readonly":       "A   D   A   A   A   A   D   D   D   D   D    A   D   A   D   D",
    "prefix":         "D   D   D   A   A   D   A   D   D   D   D    D   D   D   D   D",
    "star":           "A   A   A   A   A   A   A   A   A   A   D    D   D   D   D   D",
    "useradmin":      "D   D   D   D   D   D   D   D   D   D   A    D   D   D   D   D",
    "group":          "D   D   D   D   A   D   A   D   A   D   A    A   D   A   A   A",
    "service":        "D   D   A   A   A   A   D   D   D   D   D    D   D   D   D   D",
    "session":        "D   D   D   D   D   A   D   D   D   D   D    A   D   A   D   D",
    "vended":         "D   D   D   A   A   D   A   D   D   D   D    D   D   D   D   D",
    "vended-session": "D   D   D   D   A   D   D   D   D   D   D    D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D    D   D   D   D   D",
    "anonymous-public": "D D   D   D   D   A   D   D   D   D   D    D   D   D   D   D",
    "anonymous-upload": "D D   D   D   A   D   A   D   A   D   D    D   D   D   D   D",
}

# Operations that touch several resources (S3). CopyX copies X into landing (CopyToGold: landing into gold);
# PartCopyX is UploadPartCopy from X into an upload root started under landing; one DeleteObjects names a
# landing key and a gold key (BatchDeleteX is that key's own outcome); CreateUploadX starts an upload under X;
# UploadPart / Complete act on an upload root started under landing.
MULTI_OPERATIONS = ["CopyLanding", "CopyGold", "CopyForeign", "CopyToGold", "PartCopyLanding", "PartCopyGold",
                    "BatchDeleteLanding", "BatchDeleteGold", "CreateUploadLanding", "CreateUploadGold", "UploadPartLanding",
                    "CompleteLanding"]
MULTI_MATRIX = {
    #                  CpL CpG CpF CpTG PcL PcG BdL BdG CuL CuG UpL CoL
    "root":           "A   A   A   A    A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A    A   A   A   A   A   A   A   A",
    "readwrite":      "A   A   A   A    A   A   A   A   A   A   A   A",
    "readonly":       "D   D   D   D    D   D   D   D   D   D   D   D",
    "prefix":         "A   D   D   D    A   D   D   D   A   D   A   A",
    "star":           "A   A   A   A    A   A   A   A   A   A   A   A",
    "useradmin":      "D   D   D   D    D   D   D   D   D   D   D   D",
    "group":          "A   D   D   D    A   D   A   D   A   D   A   A",
    "service":        "D   D   D   D    D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D    D   D   D   D   D   D   D   D",
    "vended":         "A   D   D   D    A   D   D   D   A   D   A   A",
    "vended-session": "D   D   D   D    D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D    D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D    D   D   D   D   D   D   D   D",
    "anonymous-upload": "A D   D   D    A   D   A   D   A   D   A   A",
}

# Admin writes and catalog requests that name more than one resource or need more than one action.
# AdminCreateUser / AdminCreatePolicy: PUT users/<new> (no policies), PUT policies/<new>. AdminCreateAdminUser /
# AdminCreateAdminGroup: PUT users/<new> or groups/<new> with {"policies": ["admin"]}: besides admin:CreateUser
# (CreateGroup) on users/<new> (groups/<new>) this attaches a policy, so it also needs admin:AttachPolicy on
# users/<new>/policies/admin (groups/<new>/policies/admin), as PUT .../policies/admin would.
# Rename needs DropTable on the source and CreateTable on the destination namespace (RenameTable: mx -> mx,
# RenameFromGold: mxgold -> mx, RenameToGold: mx -> mxgold); a transaction needs UpdateTable on every table
# (Transaction: mx.t; TransactionGold: mx.t and mxgold.g) and CreateTable on the namespace of a change with
# assert-create (TransactionCreate, and CommitCreate through commitTable); RegisterTable needs CreateTable on mx;
# UpdateTable is the plain commitTable on mx.t.
ADMIN_CATALOG_OPERATIONS = ["AdminCreateUser", "AdminCreatePolicy", "AdminCreateAdminUser", "AdminCreateAdminGroup",
                            "UpdateTable", "RenameTable", "RenameFromGold", "RenameToGold",
                            "Transaction", "TransactionGold", "TransactionCreate", "CommitCreate", "RegisterTable"]
ADMIN_CATALOG_MATRIX = {
    #                  CU  CP  CAU CAG   UT  Rn  RnF RnT Tx  TxG TxC CmC Reg
    "root":           "A   A   A   A     A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A     A   A   A   A   A   A   A   A   A",
    "readwrite":      "D   D   D   D     A   A   A   A   A   A   A   A   A",
    "readonly":       "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "prefix":         "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "star":           "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "useradmin":      "A   D   D   D     D   D   D   D   D   D   D   D   D",
    "group":          "D   D   D   D     A   A   D   D   A   D   A   A   A",
    "service":        "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D     A   D   D   D   A   A   D   D   D",
    "vended":         "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "vended-session": "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D     D   D   D   D   D   D   D   D   D",
    "anonymous-upload": "D D   D   D     D   D   D   D   D   D   D   D   D",
}

# The rest of S3, on the row's bucket (DeleteBucket: an empty bucket root creates just before, so no row's policy names
# it). Bucket-level: HeadBucket, DeleteBucket, Get/PutBucketVersioning (Put turns versioning on, or back to Suspended),
# Get/DeleteBucketPolicy and GetBucketPolicyStatus (every target bucket has a policy), Get/Put/DeleteBucketTagging,
# ListObjects v1 and ListObjectVersions under landing (with the s3:prefix the conditions look at), ListMultipartUploads.
# Object-level: HeadObject of the landing and gold objects, GetObjectAttributes / Get/Put/DeleteObjectTagging of a landing
# object, AbortMultipartUpload / ListParts of an upload root starts under landing.
S3_OPERATIONS = ["HeadBucket", "DeleteBucket", "GetBucketLocation", "GetBucketVersioning", "PutBucketVersioning",
                 "GetBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus", "GetBucketTagging", "PutBucketTagging",
                 "DeleteBucketTagging", "ListV1Landing", "ListVersionsLanding", "ListUploads", "HeadLanding", "HeadGold",
                 "AttributesLanding", "GetTagsLanding", "PutTagsLanding", "DeleteTagsLanding", "AbortLanding", "ListPartsLanding"]
S3_MATRIX = {
    #                  HB  DB  GBL GBV PBV GBP DBP GPS GBT PBT DBT L1L LVL LU  HL  HG  AtL GTL PTL DTL AbL LPL
    "root":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readwrite":      "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readonly":       "A   D   A   D   D   D   D   D   D   D   D   A   A   D   A   A   A   A   D   D   D   D",
    "prefix":         "D   D   D   D   D   D   D   D   D   D   D   A   D   D   A   D   D   D   D   D   D   D",
    "star":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "useradmin":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "group":          "D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   D   D   D   D   D   D",
    "service":        "A   D   D   D   D   D   D   D   D   D   D   A   D   D   A   A   D   D   D   D   D   D",
    "session":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   D   D   D   D   D",
    "vended":         "D   D   A   D   D   D   D   D   D   D   D   A   A   D   A   D   A   D   D   D   A   A",
    "vended-session": "D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   D   D   D   D   D",
    "anonymous-upload": "D D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   D   D   D   D   D   D",
}

# The rest of the admin API: every action on its own resource (arn:floe:admin:::<path>). Reads name fixture entries
# (users/mx-readonly, groups/mx-team, policies/landing-only); each write acts on something root makes just before
# (a user, group, policy, access key or service account of the fixture user mx-keyholder), so one row cannot spoil
# the next. Attach/Detach come in their user and group forms; AdminCreateGroup sets no policies and no members.
ADMIN_OPERATIONS = ["AdminServerInfo", "AdminGetUser", "AdminDeleteUser", "AdminCreateAccessKey", "AdminCreateServiceAccount",
                    "AdminAttachUserPolicy", "AdminDetachUserPolicy", "AdminAttachGroupPolicy", "AdminDetachGroupPolicy",
                    "AdminListServiceAccounts", "AdminUpdateAccessKey", "AdminDeleteAccessKey", "AdminListGroups", "AdminGetGroup",
                    "AdminCreateGroup", "AdminDeleteGroup", "AdminAddGroupMember", "AdminRemoveGroupMember", "AdminListPolicies",
                    "AdminGetPolicy", "AdminDeletePolicy"]
ADMIN_MATRIX = {
    #                  SI  GU  DU  CAK CSA AUP DUP AGP DGP LSA UAK DAK LG  GG  CG  DG  AGM RGM LP  GP  DP
    "root":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readwrite":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "readonly":       "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "prefix":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "star":           "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "useradmin":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   D   D   D   D   D",
    "group":          "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "service":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "vended":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "vended-session": "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-upload": "D D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
}

# The rest of the catalog, in namespace mx (group's) unless named: namespace load/exists/properties on mx,
# CreateChildNamespace / DropNamespace on a child of mx (authorized on mx / on the child), table list/exists/metrics/
# credentials on mx.t, views (fixture view mx.v; create/register/drop/rename on views root makes just before). A view
# rename needs DropView on the source and CreateView on the destination namespace (RenameViewFromGold: mxgold -> mx,
# RenameViewToGold: mx -> mxgold). Each endpoint's action is CatalogRoute.action (HEAD, metrics and credentials are Load*).
CATALOG_OPERATIONS = ["LoadNamespace", "NamespaceExists", "CreateChildNamespace", "DropNamespace", "UpdateNamespaceProperties",
                      "ListTables", "TableExists", "ReportMetrics", "LoadCredentials", "ListViews", "CreateView", "RegisterView",
                      "LoadView", "ViewExists", "ReplaceView", "DropView", "RenameView", "RenameViewFromGold", "RenameViewToGold"]
CATALOG_MATRIX = {
    #                  LNs NsE CCN DNs UNP LTb TbE RpM LCr LVw CVw RVw LoV VwE RpV DVw RnV RVF RVT
    "root":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readwrite":      "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readonly":       "A   A   D   D   D   A   A   A   A   A   D   D   A   A   D   D   D   D   D",
    "prefix":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "star":           "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "useradmin":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "group":          "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   D   D",
    "service":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D   D   D   A   A   A   D   D   D   D   D   D   D   D   D   D",
    "vended":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "vended-session": "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-upload": "D D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
}

# Bucket settings, ACLs and browser form uploads, on the row's bucket (every target bucket has, besides its policy and
# tags, a CORS configuration, an all-false Public Access Block and Object Ownership controls: Get* find one). Each IAM
# action is `Operation.iamAction`: Get/PutBucketAcl s3:Get/PutBucketAcl, Get/PutObjectAcl (landing object)
# s3:Get/PutObjectAcl, Get/Put/DeleteBucketOwnershipControls s3:Get/PutBucketOwnershipControls, Get/Put/
# DeletePublicAccessBlock s3:Get/PutBucketPublicAccessBlock, Get/Put/DeleteBucketCors s3:Get/PutBucketCORS, Get/
# PutBucketLogging s3:Get/PutBucketLogging, PostObject s3:PutObject. None is in the readonly policy, the prefix/group/
# service/session/vended policies grant no such action (PostObject aside, which is their PutObject), and anonymous
# callers get the bucket settings of no bucket whatever its policy says (`ownerOnlyOperations`); no bucket policy grants
# anyone an ACL action. Put*Acl send the canned bucket-owner-full-control, the one ACL a bucket with Object Ownership
# BucketOwnerEnforced (the default) accepts, which changes nothing: a denied one must change nothing either.
# PutBucketLogging turns logging on into a log bucket of root's whose policy lets the logging service write.
# PostLanding / PostGold: a form signed with SigV4 (boto3's generate_presigned_post, the session token in the form)
# uploading into landing / gold; PostLandingV2: a SigV2-signed form into landing. Anonymous rows post unsigned forms.
SETTINGS_OPERATIONS = ["GetBucketAcl", "PutBucketAcl", "GetObjectAcl", "PutObjectAcl", "GetOwnershipControls", "PutOwnershipControls",
                       "DeleteOwnershipControls", "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock",
                       "GetBucketCors", "PutBucketCors", "DeleteBucketCors", "GetBucketLogging", "PutBucketLogging",
                       "PostLanding", "PostGold", "PostLandingV2"]
SETTINGS_MATRIX = {
    #                  GBA PBA GOA POA GOC POC DOC GPB PPB DPB GBC PBC DBC GBL PBL PoL PoG PL2
    "root":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readwrite":      "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readonly":       "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "prefix":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   A",
    "star":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "useradmin":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "group":          "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   A",
    "service":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "vended":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   A",
    "vended-session": "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-upload": "D D   D   D   D   D   D   D   D   D   D   D   D   D   D   A   D   A",
}

# Governance on the row's bucket and its landing object: lifecycle, default encryption, notifications and Object Lock
# (Get/Put/DeleteBucketLifecycle s3:Get/PutLifecycleConfiguration, Get/Put/DeleteBucketEncryption s3:Get/
# PutEncryptionConfiguration, Get/PutBucketNotification s3:Get/PutBucketNotification, Get/PutObjectLockConfiguration
# s3:Get/PutBucketObjectLockConfiguration, Get/PutObjectRetention and Get/PutObjectLegalHold s3:Get/PutObjectRetention,
# s3:Get/PutObjectLegalHold). Bucket-level ones are owner-only for anonymous callers; no fixture policy grants them
# beyond s3:*. The row buckets have no Object Lock: an allowed lock call gets the bucket's own answer (InvalidRequest,
# and MalformedXML for the deliberately invalid configuration that could otherwise lock a row bucket for good).
GOVERNANCE_OPERATIONS = ["GetLifecycle", "PutLifecycle", "DeleteLifecycle", "GetEncryption", "PutEncryption", "DeleteEncryption",
                         "GetNotification", "PutNotification", "GetLockConfiguration", "PutLockConfiguration",
                         "GetRetention", "PutRetention", "GetLegalHold", "PutLegalHold"]
GOVERNANCE_MATRIX = {
    #                  GLc PLc DLc GEn PEn DEn GNt PNt GLC PLC GRt PRt GLH PLH
    "root":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readwrite":      "A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "readonly":       "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "prefix":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "star":           "A   A   A   A   A   A   A   A   A   A   A   A   A   A",
    "useradmin":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "group":          "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "service":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "vended":         "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "vended-session": "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D   D   D   D   D   D   D   D   D   D   D",
    "anonymous-upload": "D D   D   D   D   D   D   D   D   D   D   D   D   D",
}

# The key store and notification targets of the admin API: admin:* only.
ADMIN_GOVERNANCE_OPERATIONS = ["AdminListKMSKeys", "AdminCreateKMSKey", "AdminRotateKMSKey", "AdminListTargets", "AdminPutTarget",
                               "AdminDeleteTarget", "AdminNotifyStatus", "AdminRedrive", "AdminPurgeDead"]
ADMIN_GOVERNANCE_MATRIX = {
    #                  LKK CKK RKK LTg PTg DTg NSt Rdv PDL
    "root":           "A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A",
    "readwrite":      "D   D   D   D   D   D   D   D   D",
    "readonly":       "D   D   D   D   D   D   D   D   D",
    "prefix":         "D   D   D   D   D   D   D   D   D",
    "star":           "D   D   D   D   D   D   D   D   D",
    "useradmin":      "D   D   D   D   D   D   D   D   D",
    "group":          "D   D   D   D   D   D   D   D   D",
    "service":        "D   D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D   D   D   D   D   D",
    "vended":         "D   D   D   D   D   D   D   D   D",
    "vended-session": "D   D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D   D   D   D   D   D",
    "anonymous-upload": "D D   D   D   D   D   D   D   D",
}

TABLES = [(OPERATIONS, MATRIX), (MULTI_OPERATIONS, MULTI_MATRIX), (ADMIN_CATALOG_OPERATIONS, ADMIN_CATALOG_MATRIX),
          (S3_OPERATIONS, S3_MATRIX), (ADMIN_OPERATIONS, ADMIN_MATRIX), (CATALOG_OPERATIONS, CATALOG_MATRIX),
          (SETTINGS_OPERATIONS, SETTINGS_MATRIX), (GOVERNANCE_OPERATIONS, GOVERNANCE_MATRIX),
          (ADMIN_GOVERNANCE_OPERATIONS, ADMIN_GOVERNANCE_MATRIX)]

# Every operation the server routes and the columns that exercise it. test_every_routed_operation_has_a_column reads the
# three route tables from the sources, so an operation added there fails the suite until it gets a column here.
# S3: the AWS operation name (`Operation`'s raw value, Sources/S3API/Operation.swift).
S3_COLUMNS = {
    "ListBuckets": ["ListBuckets"], "CreateBucket": ["CreateBucket"], "HeadBucket": ["HeadBucket"], "DeleteBucket": ["DeleteBucket"],
    "GetBucketLocation": ["GetBucketLocation"], "GetBucketVersioning": ["GetBucketVersioning"], "PutBucketVersioning": ["PutBucketVersioning"],
    "GetBucketPolicy": ["GetBucketPolicy"], "PutBucketPolicy": ["PutBucketPolicy"], "DeleteBucketPolicy": ["DeleteBucketPolicy"],
    "GetBucketPolicyStatus": ["GetBucketPolicyStatus"], "GetBucketTagging": ["GetBucketTagging"], "PutBucketTagging": ["PutBucketTagging"],
    "DeleteBucketTagging": ["DeleteBucketTagging"], "ListObjects": ["ListV1Landing"], "ListObjectsV2": ["ListObjects", "ListLanding"],
    "ListObjectVersions": ["ListVersionsLanding"], "ListMultipartUploads": ["ListUploads"], "DeleteObjects": ["BatchDeleteLanding", "BatchDeleteGold"],
    "PutObject": ["PutLanding", "PutGold"], "CopyObject": ["CopyLanding", "CopyGold", "CopyForeign", "CopyToGold"],
    "GetObject": ["GetLanding", "GetGold"], "HeadObject": ["HeadLanding", "HeadGold"], "DeleteObject": ["DeleteLanding"],
    "GetObjectAttributes": ["AttributesLanding"], "GetObjectTagging": ["GetTagsLanding"], "PutObjectTagging": ["PutTagsLanding"],
    "DeleteObjectTagging": ["DeleteTagsLanding"], "CreateMultipartUpload": ["CreateUploadLanding", "CreateUploadGold"],
    "UploadPart": ["UploadPartLanding"], "UploadPartCopy": ["PartCopyLanding", "PartCopyGold"], "CompleteMultipartUpload": ["CompleteLanding"],
    "AbortMultipartUpload": ["AbortLanding"], "ListParts": ["ListPartsLanding"],
    "GetBucketAcl": ["GetBucketAcl"], "PutBucketAcl": ["PutBucketAcl"], "GetObjectAcl": ["GetObjectAcl"], "PutObjectAcl": ["PutObjectAcl"],
    "GetBucketOwnershipControls": ["GetOwnershipControls"], "PutBucketOwnershipControls": ["PutOwnershipControls"],
    "DeleteBucketOwnershipControls": ["DeleteOwnershipControls"], "GetPublicAccessBlock": ["GetPublicAccessBlock"],
    "PutPublicAccessBlock": ["PutPublicAccessBlock"], "DeletePublicAccessBlock": ["DeletePublicAccessBlock"],
    "GetBucketCors": ["GetBucketCors"], "PutBucketCors": ["PutBucketCors"], "DeleteBucketCors": ["DeleteBucketCors"],
    "GetBucketLogging": ["GetBucketLogging"], "PutBucketLogging": ["PutBucketLogging"],
    "PostObject": ["PostLanding", "PostGold", "PostLandingV2"],
    "GetBucketLifecycleConfiguration": ["GetLifecycle"], "PutBucketLifecycleConfiguration": ["PutLifecycle"],
    "DeleteBucketLifecycle": ["DeleteLifecycle"], "GetBucketEncryption": ["GetEncryption"], "PutBucketEncryption": ["PutEncryption"],
    "DeleteBucketEncryption": ["DeleteEncryption"], "GetBucketNotificationConfiguration": ["GetNotification"],
    "PutBucketNotificationConfiguration": ["PutNotification"], "GetObjectLockConfiguration": ["GetLockConfiguration"],
    "PutObjectLockConfiguration": ["PutLockConfiguration"], "GetObjectRetention": ["GetRetention"], "PutObjectRetention": ["PutRetention"],
    "GetObjectLegalHold": ["GetLegalHold"], "PutObjectLegalHold": ["PutLegalHold"],
}
# Admin: the action `AdminRoute` names (Sources/S3API/Handlers/AdminHandlers.swift).
ADMIN_COLUMNS = {
    "ServerInfo": ["AdminServerInfo"], "ListUsers": ["AdminListUsers"], "GetUser": ["AdminGetUser"],
    "CreateUser": ["AdminCreateUser", "AdminCreateAdminUser"], "DeleteUser": ["AdminDeleteUser"], "CreateAccessKey": ["AdminCreateAccessKey"],
    "CreateServiceAccount": ["AdminCreateServiceAccount"], "AttachPolicy": ["AdminAttachUserPolicy", "AdminAttachGroupPolicy", "AdminCreateAdminUser"],
    "DetachPolicy": ["AdminDetachUserPolicy", "AdminDetachGroupPolicy"], "ListServiceAccounts": ["AdminListServiceAccounts"],
    "UpdateAccessKey": ["AdminUpdateAccessKey"], "DeleteAccessKey": ["AdminDeleteAccessKey"], "ListGroups": ["AdminListGroups"],
    "GetGroup": ["AdminGetGroup"], "CreateGroup": ["AdminCreateGroup", "AdminCreateAdminGroup"], "DeleteGroup": ["AdminDeleteGroup"],
    "AddGroupMember": ["AdminAddGroupMember"], "RemoveGroupMember": ["AdminRemoveGroupMember"], "ListPolicies": ["AdminListPolicies"],
    "GetPolicy": ["AdminGetPolicy"], "CreatePolicy": ["AdminCreatePolicy"], "DeletePolicy": ["AdminDeletePolicy"],
    "ListKMSKeys": ["AdminListKMSKeys"], "CreateKMSKey": ["AdminCreateKMSKey"], "RotateKMSKey": ["AdminRotateKMSKey"],
    "ListNotificationTargets": ["AdminListTargets"], "PutNotificationTarget": ["AdminPutTarget"],
    "DeleteNotificationTarget": ["AdminDeleteTarget"], "GetNotificationStatus": ["AdminNotifyStatus"],
    "RedriveNotifications": ["AdminRedrive"], "PurgeDeadNotifications": ["AdminPurgeDead"],
}
# Catalog: `CatalogRoute.endpoint` (Sources/CatalogAPI/CatalogRoute.swift).
_NS, _TABLE, _VIEW = "/v1/{prefix}/namespaces/{namespace}", "/v1/{prefix}/namespaces/{namespace}/tables/{table}", "/v1/{prefix}/namespaces/{namespace}/views/{view}"
CATALOG_COLUMNS = {
    "GET /v1/{prefix}/namespaces": ["ListNamespaces"], "POST /v1/{prefix}/namespaces": ["CreateNamespace", "CreateChildNamespace"],
    f"GET {_NS}": ["LoadNamespace"], f"HEAD {_NS}": ["NamespaceExists"], f"DELETE {_NS}": ["DropNamespace"],
    f"POST {_NS}/properties": ["UpdateNamespaceProperties"], f"GET {_NS}/tables": ["ListTables"], f"POST {_NS}/tables": ["CreateTable"],
    f"POST {_NS}/register": ["RegisterTable"], f"GET {_TABLE}": ["LoadTable"], f"HEAD {_TABLE}": ["TableExists"],
    f"POST {_TABLE}": ["UpdateTable", "CommitCreate"], f"DELETE {_TABLE}": ["DropTable"], f"POST {_TABLE}/metrics": ["ReportMetrics"],
    f"GET {_TABLE}/credentials": ["LoadCredentials"], "POST /v1/{prefix}/tables/rename": ["RenameTable", "RenameFromGold", "RenameToGold"],
    "POST /v1/{prefix}/transactions/commit": ["Transaction", "TransactionGold", "TransactionCreate"],
    f"GET {_NS}/views": ["ListViews"], f"POST {_NS}/views": ["CreateView"], f"POST {_NS}/register-view": ["RegisterView"],
    f"GET {_VIEW}": ["LoadView"], f"HEAD {_VIEW}": ["ViewExists"], f"POST {_VIEW}": ["ReplaceView"], f"DELETE {_VIEW}": ["DropView"],
    "POST /v1/{prefix}/views/rename": ["RenameView", "RenameViewFromGold", "RenameViewToGold"],
}
SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}


def expected(principal):
    want = {}
    for operations, matrix in TABLES:
        cells = matrix[principal].split()
        assert len(cells) == len(operations), principal
        want.update({op: {"A": ALLOW, "D": DENY, "-": None}[cell] for op, cell in zip(operations, cells)})
    return want


def admin(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    response = server.signed(method, f"/floe/admin/v1/{path}", body=data)
    assert response.status_code < 300, response.text
    return response


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def harmless_policy(bucket, sid):
    """A bucket policy that changes nothing the matrix tries (it denies DeleteBucket of the row's own bucket)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": f"arn:aws:s3:::{bucket}"}]})


# A user with no policies whose keys, service accounts and group memberships the admin columns create and remove.
KEYHOLDER = "mx-keyholder"


class SingleEncodingSigV4Auth(SigV4Auth):
    """SigV4 with the canonical URI encoded once (the path as sent), S3's way."""

    def _normalize_url_path(self, path):
        return path


@dataclass
class Target:
    """Where a row's S3 cells act: its bucket and the two folders (with trailing slash) the columns name."""
    bucket: str
    landing: str = "landing/"
    gold: str = "gold/"


class Caller:
    """One principal's S3 client and catalog access (bearer token, or SigV4 with a session token)."""

    def __init__(self, server, access_key=None, secret=None, token=None, oauth=True):
        self.server, self.access_key, self.secret, self.token = server, access_key, secret, token
        config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
        if access_key:
            self.s3 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                                   aws_session_token=token, region_name="us-east-1", config=config)
        else:
            from botocore import UNSIGNED
            self.s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                   config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        self.bearer = None
        if access_key and oauth:
            reply = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens",
                                  data={"grant_type": "client_credentials", "client_id": access_key, "client_secret": secret})
            assert reply.status_code == 200, reply.text
            self.bearer = reply.json()["access_token"]

    def catalog(self, method, path, body=None, headers=None):
        url = f"{self.server.catalog_endpoint}/v1/{WAREHOUSE}/{path}"
        data = json.dumps(body).encode() if body is not None else b""
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.bearer:
            headers["Authorization"] = "Bearer " + self.bearer
        elif self.access_key:
            request = AWSRequest(method=method, url=url, data=data, headers=headers)
            # A path with a percent-escape (a nested namespace's %1F) is signed with its segments encoded once, as S3
            # does: the catalog does not accept the twice-encoded canonical URI of botocore's generic signer.
            signer = SingleEncodingSigV4Auth if "%" in path else SigV4Auth
            signer(Credentials(self.access_key, self.secret, self.token), "s3tables", "us-east-1").add_auth(request)
            headers = dict(request.prepare().headers)
        return requests.request(method, url, data=data, headers=headers, timeout=30)

    def admin(self, method, path, body=None):
        """An admin API call as this principal (unsigned when anonymous), its body's hash signed."""
        url = f"{self.server.endpoint}/floe/admin/v1/{path}"
        data = json.dumps(body).encode() if body is not None else b""
        headers = {}
        if self.access_key is not None:
            request = AWSRequest(method=method, url=url, data=data, headers={"x-amz-content-sha256": hashlib.sha256(data).hexdigest()})
            SigV4Auth(Credentials(self.access_key, self.secret, self.token), "s3", "us-east-1").add_auth(request)
            headers = dict(request.prepare().headers)
        return requests.request(method, url, data=data, headers=headers, timeout=30)


def s3_outcome(call, head=False):
    """ALLOW when the call succeeds, DENY on AccessDenied (a HEAD's 403 has no body to name it)."""
    try:
        call()
        return ALLOW
    except ClientError as e:
        code = e.response["Error"]["Code"]
        assert code in (("403", "AccessDenied") if head else ("AccessDenied",)), e.response
        return DENY


def catalog_outcome(response):
    """ALLOW on success; DENY on 403 ForbiddenException, or on 401 NotAuthorizedException for a caller that sent no
    credentials (the catalog's refusal of anonymous callers). A HEAD's refusal has no body to name it."""
    if response.status_code < 300:
        return ALLOW
    anonymous = "Authorization" not in response.request.headers
    status, kind = (401, "NotAuthorizedException") if anonymous else (403, "ForbiddenException")
    assert response.status_code == status, (response.status_code, response.text)
    if response.request.method != "HEAD":
        assert response.json()["error"]["type"] == kind, response.text
    return DENY


def admin_outcome(response):
    if response.status_code < 300:
        return ALLOW
    assert response.status_code == 403 and error_code(response) == "AccessDenied", response.text
    return DENY


def exists(root, bucket, key):
    try:
        root.s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] in ("404", "NoSuchKey"), e.response
        return False


def table_exists(root, namespace, name):
    status = root.catalog("GET", f"namespaces/{namespace}/tables/{name}").status_code
    assert status in (200, 404), status
    return status == 200


def bucket_exists(root, bucket):
    try:
        root.s3.head_bucket(Bucket=bucket)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] in ("404", "NoSuchBucket"), e.response
        return False


def bucket_tags(root, bucket):
    try:
        return {t["Key"]: t["Value"] for t in root.s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchTagSet", e.response
        return {}


def bucket_policy(root, bucket):
    try:
        return root.s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchBucketPolicy", e.response
        return None


def object_tags(root, bucket, key):
    return {t["Key"]: t["Value"] for t in root.s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def catalog_status(root, path):
    status = root.catalog("GET", path).status_code
    assert status in (200, 404), status
    return status


def namespace_path(*levels):
    """A namespace in a URL path: its levels joined by the unit separator, percent-encoded."""
    return "%1F".join(levels)


def view_body(name):
    return {"name": name, "schema": {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "x", "required": False, "type": "int"}]},
            "view-version": {"version-id": 1, "timestamp-ms": 1700000000000, "schema-id": 0, "summary": {"engine-name": "spark"},
                             "representations": [{"type": "sql", "sql": "SELECT 1 AS x", "dialect": "spark"}], "default-namespace": []},
            "properties": {}}


def create_view(root, namespace, name):
    response = root.catalog("POST", f"namespaces/{namespace}/views", view_body(name))
    assert response.status_code == 200, response.text
    return response.json()


def admin_status(root, path):
    status = root.admin("GET", path).status_code
    assert status in (200, 404), status
    return status


def table_properties(root, namespace, name):
    response = root.catalog("GET", f"namespaces/{namespace}/tables/{name}")
    assert response.status_code == 200, response.text
    return response.json()["metadata"].get("properties", {})


def create_table(root, namespace, name):
    response = root.catalog("POST", f"namespaces/{namespace}/tables", {"name": name, "schema": SCHEMA})
    assert response.status_code == 200, response.text
    return response.json()


def table_change(namespace, name, updates, requirements=()):
    return {"identifier": {"namespace": [namespace], "name": name}, "requirements": list(requirements), "updates": updates}


def set_property(key):
    return [{"action": "set-properties", "updates": {key: "1"}}]


def creation_updates():
    """What a client commits with `assert-create` (the second half of stage-create)."""
    return [
        {"action": "assign-uuid", "uuid": str(uuid.uuid4())}, {"action": "upgrade-format-version", "format-version": 2},
        {"action": "add-schema", "schema": SCHEMA}, {"action": "set-current-schema", "schema-id": -1},
        {"action": "add-spec", "spec": {"spec-id": 0, "fields": []}}, {"action": "set-default-spec", "spec-id": -1},
        {"action": "add-sort-order", "sort-order": {"order-id": 0, "fields": []}}, {"action": "set-default-sort-order", "sort-order-id": -1},
    ]


FIXTURE_CORS = {"CORSRules": [{"AllowedOrigins": ["https://fixture.example"], "AllowedMethods": ["GET"]}]}
OPEN_BLOCK = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}


def bucket_cors(root, bucket):
    """The allowed origins of the bucket's CORS rules, or None without a configuration."""
    try:
        return sorted(o for rule in root.s3.get_bucket_cors(Bucket=bucket)["CORSRules"] for o in rule["AllowedOrigins"])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchCORSConfiguration", e.response
        return None


def public_access_block(root, bucket):
    try:
        return root.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration", e.response
        return None


def ownership(root, bucket):
    try:
        return root.s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "OwnershipControlsNotFoundError", e.response
        return None


def set_ownership(root, bucket, value):
    if value is None:
        root.s3.delete_bucket_ownership_controls(Bucket=bucket)
    else:
        root.s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})


def logging_prefix(root, bucket):
    """The target prefix of the bucket's server access logging, or None when logging is off."""
    enabled = root.s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    return enabled["TargetPrefix"] if enabled else None


def acl_document(reply):
    return reply["Owner"]["ID"], sorted((g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"]) for g in reply.get("Grants", []))


def post_object(caller, bucket, key, v2=False):
    """A browser form upload of `key` into `bucket`: signed with the caller's own credentials (SigV4 by boto3's
    generate_presigned_post, or SigV2 by hand, the session token a field the policy names), unsigned when anonymous.
    ALLOW on 204; DENY on 403 AccessDenied from authorization (never the form's own policy failing)."""
    url = f"{caller.server.endpoint}/{bucket}"
    if caller.access_key is None:
        fields = {"key": key}
    elif v2:
        expiration = (datetime.now(timezone.utc) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        conditions = [{"bucket": bucket}, {"key": key}] + ([{"x-amz-security-token": caller.token}] if caller.token else [])
        document = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode())
        signature = base64.b64encode(hmac.new(caller.secret.encode(), document, hashlib.sha1).digest())
        fields = {"key": key, "AWSAccessKeyId": caller.access_key, "policy": document.decode(), "signature": signature.decode()}
        if caller.token:
            fields["x-amz-security-token"] = caller.token
    else:
        form = caller.s3.generate_presigned_post(bucket, key, ExpiresIn=600)
        url, fields = form["url"], form["fields"]
    response = requests.post(url, data=fields, files={"file": ("x.csv", b"x")}, allow_redirects=False, timeout=30)
    if response.status_code == 204:
        return ALLOW
    assert response.status_code == 403 and error_code(response) == "AccessDenied", (response.status_code, response.text)
    assert b"Invalid according to Policy" not in response.content, response.text
    return DENY


@dataclass
class World:
    server: object
    root: Caller
    callers: dict
    targets: dict
    bucket: str
    foreign: tuple
    public: str
    logs: str

    def target(self, principal):
        return self.targets.get(principal, Target(self.bucket))


def vended_caller(server, loader):
    """The S3 credentials the catalog vends to `loader` for mx.t, and where that table lives."""
    loaded = loader.catalog("GET", "namespaces/mx/tables/t", headers=DELEGATION)
    assert loaded.status_code == 200, loaded.text
    config = loaded.json()["config"]
    location = loaded.json()["metadata"]["location"]
    assert location.startswith(f"s3://{WAREHOUSE}/"), location
    return Caller(server, config["s3.access-key-id"], config["s3.secret-access-key"], config["s3.session-token"], oauth=False), location


@pytest.fixture(scope="module")
def world():
    server = new_server()
    root = Caller(server, ROOT_USER, ROOT_PASSWORD)
    unique = uuid.uuid4().hex[:8]
    bucket, public, upload, secret = f"mx-{unique}", f"mxpub-{unique}", f"mxup-{unique}", f"mxsecret-{unique}"
    for name in [bucket, public, upload, secret]:
        root.s3.create_bucket(Bucket=name)
    root.s3.put_object(Bucket=secret, Key="secret.txt", Body=b"secret")
    # Every target bucket has a policy (GetBucketPolicy and GetBucketPolicyStatus find one): the row bucket's denies
    # only DeleteBucket on itself, which no column tries.
    root.s3.put_bucket_policy(Bucket=bucket, Policy=harmless_policy(bucket, "fixture"))
    root.s3.put_bucket_policy(Bucket=public, Policy=json.dumps(policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{public}/gold/*"})))
    root.s3.put_bucket_policy(Bucket=upload, Policy=json.dumps(policy(
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::{upload}/landing/*"})))
    for namespace in ["mx", "mxgold"]:
        assert catalog_outcome(root.catalog("POST", "namespaces", {"namespace": [namespace]})) == ALLOW
    create_table(root, "mx", "t")
    create_table(root, "mxgold", "g")
    create_view(root, "mx", "v")
    admin(server, "PUT", f"users/{KEYHOLDER}", {})

    admin(server, "PUT", "policies/landing-only", policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/landing/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringLike": {"s3:prefix": "landing/*"}}}))
    admin(server, "PUT", "policies/all-of-s3", policy(
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::*"},
        {"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::*"}))
    admin(server, "PUT", "policies/mx-team", policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": f"arn:aws:s3:::{bucket}/landing/*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{WAREHOUSE}/*"},
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{WAREHOUSE}/mx", f"arn:floe:iceberg:::{WAREHOUSE}/mx/*"]},
        {"Effect": "Allow", "Action": ["iceberg:List*", "iceberg:Load*"], "Resource": "arn:floe:iceberg:::*"},
        {"Effect": "Allow", "Action": "admin:ListUsers", "Resource": "arn:floe:admin:::users"}))
    admin(server, "PUT", "policies/user-admin", policy(
        {"Effect": "Allow", "Action": "admin:ListUsers", "Resource": "arn:floe:admin:::users"},
        {"Effect": "Allow", "Action": ["admin:CreateUser", "admin:CreateGroup"], "Resource": ["arn:floe:admin:::users/*", "arn:floe:admin:::groups/*"]}))
    callers = {"root": root}
    for user, policies in [("admin", ["admin"]), ("readwrite", ["readwrite"]), ("readonly", ["readonly"]), ("prefix", ["landing-only"]),
                           ("star", ["all-of-s3"]), ("useradmin", ["user-admin"]), ("group", [])]:
        admin(server, "PUT", f"users/mx-{user}", {"policies": policies})
        key = admin(server, "POST", f"users/mx-{user}/keys").json()
        callers[user] = Caller(server, key["accessKey"], key["secretKey"])
    admin(server, "PUT", "groups/mx-team", {"policies": ["mx-team"]})
    admin(server, "PUT", "groups/mx-team/members/mx-group")

    service_policy = policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]})
    account = admin(server, "POST", "users/mx-readwrite/service-accounts", {"policy": service_policy}).json()
    callers["service"] = Caller(server, account["accessKey"], account["secretKey"])

    session_policy = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::{bucket}/gold/*", f"arn:aws:s3:::{WAREHOUSE}/*"]},
        {"Effect": "Allow", "Action": ["iceberg:ListNamespaces", "iceberg:LoadTable", "iceberg:UpdateTable"], "Resource": "arn:floe:iceberg:::*"})
    readwrite = callers["readwrite"]
    sts = boto3.client("sts", endpoint_url=server.endpoint, aws_access_key_id=readwrite.access_key, aws_secret_access_key=readwrite.secret,
                       region_name="us-east-1")
    creds = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/floe", RoleSessionName="matrix", Policy=json.dumps(session_policy))["Credentials"]
    callers["session"] = Caller(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], oauth=False)

    # Vended credentials for mx.t. Their S3 cells act in the table's own folder: `landing` is its data/ folder,
    # `gold` a folder of the table the warehouse bucket's policy denies to everyone (root excepted).
    callers["vended"], location = vended_caller(server, callers["group"])
    callers["vended-session"], _ = vended_caller(server, callers["session"])
    prefix = location[len(f"s3://{WAREHOUSE}/"):].rstrip("/")
    table_target = Target(WAREHOUSE, f"{prefix}/data/", f"{prefix}/gold/")
    root.s3.put_bucket_policy(Bucket=WAREHOUSE, Policy=json.dumps(policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{WAREHOUSE}/{table_target.gold}*"})))

    callers["anonymous"] = Caller(server)
    callers["anonymous-public"] = Caller(server)
    callers["anonymous-upload"] = Caller(server)
    targets = {"anonymous-public": Target(public), "anonymous-upload": Target(upload), "vended": table_target, "vended-session": table_target}
    for target in [Target(bucket), *targets.values()]:
        root.s3.put_object(Bucket=target.bucket, Key=f"{target.landing}a.csv", Body=b"data")
        root.s3.put_object(Bucket=target.bucket, Key=f"{target.gold}b.csv", Body=b"data")
        root.s3.put_bucket_tagging(Bucket=target.bucket, Tagging={"TagSet": [{"Key": "mx", "Value": "fixture"}]})
    # Every target bucket has a CORS configuration, a Public Access Block that blocks nothing and Object Ownership
    # controls (the warehouse, made before the default was BucketOwnerEnforced, states its implicit ObjectWriter).
    for name in {target.bucket for target in [Target(bucket), *targets.values()]}:
        root.s3.put_bucket_cors(Bucket=name, CORSConfiguration=FIXTURE_CORS)
        root.s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=OPEN_BLOCK)
        if ownership(root, name) is None:
            set_ownership(root, name, "ObjectWriter")
    # Where PutBucketLogging sends a row bucket's logs: a bucket of root's (as every row bucket is) that lets the
    # logging service write.
    logs = f"mxlogs-{unique}"
    root.s3.create_bucket(Bucket=logs)
    root.s3.put_bucket_policy(Bucket=logs, Policy=json.dumps(policy(
        {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{logs}/*"})))
    yield World(server, root, callers, targets, bucket, (secret, "secret.txt"), public, logs)
    server.cleanup()


# --- the operations: each returns ALLOW or DENY (or, for one request with several outcomes, a dict of them) ---

def copy(caller, root, target, source, destination):
    outcome = s3_outcome(lambda: caller.s3.copy_object(Bucket=target.bucket, Key=destination, CopySource={"Bucket": source[0], "Key": source[1]}))
    assert exists(root, target.bucket, destination) == (outcome == ALLOW), destination
    return outcome


def part_copy(caller, root, target, source, unique):
    key = f"{target.landing}upc-{unique}"
    upload = root.s3.create_multipart_upload(Bucket=target.bucket, Key=key)["UploadId"]
    try:
        outcome = s3_outcome(lambda: caller.s3.upload_part_copy(
            Bucket=target.bucket, Key=key, UploadId=upload, PartNumber=1, CopySource={"Bucket": target.bucket, "Key": source}))
        parts = root.s3.list_parts(Bucket=target.bucket, Key=key, UploadId=upload).get("Parts", [])
        assert len(parts) == (1 if outcome == ALLOW else 0), parts
        return outcome
    finally:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload)


def batch_delete(caller, root, target, unique):
    """One DeleteObjects naming a landing key and a gold key: each key is authorized on its own; allowed
    keys are deleted, denied ones are answered <Error><Code>AccessDenied</Code> inside the 200 and stay."""
    keys = {"BatchDeleteLanding": f"{target.landing}bd-{unique}", "BatchDeleteGold": f"{target.gold}bd-{unique}"}
    for key in keys.values():
        root.s3.put_object(Bucket=target.bucket, Key=key, Body=b"x")
    try:
        reply = caller.s3.delete_objects(Bucket=target.bucket, Delete={"Objects": [{"Key": key} for key in keys.values()]})
    except ClientError as e:
        # An anonymous caller that no bucket policy lets delete anything is refused before its
        # body is read (so it cannot make the server read and parse batches for nothing).
        assert e.response["Error"]["Code"] == "AccessDenied" and caller.access_key is None, e.response
        for key in keys.values():
            assert exists(root, target.bucket, key), key
        return {op: DENY for op in keys}
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    deleted = {d["Key"] for d in reply.get("Deleted", [])}
    errors = {e["Key"]: e["Code"] for e in reply.get("Errors", [])}
    assert set(errors.values()) <= {"AccessDenied"}, errors
    assert sorted([*deleted, *errors]) == sorted(keys.values()), reply
    outcome = {op: ALLOW if key in deleted else DENY for op, key in keys.items()}
    for op, key in keys.items():
        assert exists(root, target.bucket, key) == (outcome[op] == DENY), key
    return outcome


def create_upload(caller, root, target, folder, unique):
    key = f"{folder}mp-{unique}"
    outcome = s3_outcome(lambda: caller.s3.create_multipart_upload(Bucket=target.bucket, Key=key))
    uploads = root.s3.list_multipart_uploads(Bucket=target.bucket, Prefix=key).get("Uploads", [])
    assert len(uploads) == (1 if outcome == ALLOW else 0), uploads
    for upload in uploads:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload["UploadId"])
    return outcome


def upload_part(caller, root, target, unique):
    key = f"{target.landing}up-{unique}"
    upload = root.s3.create_multipart_upload(Bucket=target.bucket, Key=key)["UploadId"]
    try:
        outcome = s3_outcome(lambda: caller.s3.upload_part(Bucket=target.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part"))
        parts = root.s3.list_parts(Bucket=target.bucket, Key=key, UploadId=upload).get("Parts", [])
        assert len(parts) == (1 if outcome == ALLOW else 0), parts
        return outcome
    finally:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload)


def complete_upload(caller, root, target, unique):
    key = f"{target.landing}co-{unique}"
    upload = root.s3.create_multipart_upload(Bucket=target.bucket, Key=key)["UploadId"]
    etag = root.s3.upload_part(Bucket=target.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    outcome = s3_outcome(lambda: caller.s3.complete_multipart_upload(
        Bucket=target.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]}))
    assert exists(root, target.bucket, key) == (outcome == ALLOW), key
    if outcome == DENY:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload)
    return outcome


def rename(caller, root, source_namespace, destination_namespace, unique):
    source, destination = f"rs_{unique}", f"rd_{unique}"
    create_table(root, source_namespace, source)
    outcome = catalog_outcome(caller.catalog("POST", "tables/rename", {
        "source": {"namespace": [source_namespace], "name": source}, "destination": {"namespace": [destination_namespace], "name": destination}}))
    assert table_exists(root, source_namespace, source) == (outcome == DENY)
    assert table_exists(root, destination_namespace, destination) == (outcome == ALLOW)
    return outcome


def commit(caller, root, path, body, changed):
    """A commit whose effect is `changed` (tables that gain property `mx-<unique>` or come to exist)."""
    outcome = catalog_outcome(caller.catalog("POST", path, body))
    for check in changed:
        assert check() == (outcome == ALLOW)
    return outcome


def run(world, principal, op):
    caller, root, target = world.callers[principal], world.root, world.target(principal)
    s3 = caller.s3
    bucket, landing, gold = target.bucket, target.landing, target.gold
    unique = uuid.uuid4().hex[:8]
    if op == "ListBuckets":
        # Listing is allowed but shows nothing to callers who may see no bucket; AccessDenied otherwise.
        return s3_outcome(lambda: s3.list_buckets())
    if op == "CreateBucket":
        outcome = s3_outcome(lambda: s3.create_bucket(Bucket=f"mxnew-{unique}"))
        assert bucket_exists(root, f"mxnew-{unique}") == (outcome == ALLOW)
        return outcome
    if op == "ListObjects":
        return s3_outcome(lambda: s3.list_objects_v2(Bucket=bucket))
    if op == "ListLanding":
        return s3_outcome(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=landing))
    if op == "GetLanding":
        return s3_outcome(lambda: s3.get_object(Bucket=bucket, Key=f"{landing}a.csv")["Body"].read())
    if op == "GetGold":
        return s3_outcome(lambda: s3.get_object(Bucket=bucket, Key=f"{gold}b.csv")["Body"].read())
    if op in ("PutLanding", "PutGold"):
        key = f"{landing if op == 'PutLanding' else gold}{unique}.csv"
        outcome = s3_outcome(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x"))
        assert exists(root, bucket, key) == (outcome == ALLOW), key
        return outcome
    if op == "DeleteLanding":
        root.s3.put_object(Bucket=bucket, Key=f"{landing}del-{unique}", Body=b"x")
        outcome = s3_outcome(lambda: s3.delete_object(Bucket=bucket, Key=f"{landing}del-{unique}"))
        assert exists(root, bucket, f"{landing}del-{unique}") == (outcome == DENY)
        return outcome
    if op == "PutBucketPolicy":
        before = bucket_policy(root, bucket)
        outcome = s3_outcome(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=harmless_policy(bucket, f"mx{unique}")))
        after = bucket_policy(root, bucket)
        assert (f"mx{unique}" in (after or "")) == (outcome == ALLOW) and (outcome == ALLOW or after == before), after
        if outcome == ALLOW and before is not None:
            root.s3.put_bucket_policy(Bucket=bucket, Policy=before)
        return outcome
    if op == "AdminListUsers":
        return admin_outcome(caller.admin("GET", "users"))
    if op == "ListNamespaces":
        return catalog_outcome(caller.catalog("GET", "namespaces"))
    if op == "CreateNamespace":
        outcome = catalog_outcome(caller.catalog("POST", "namespaces", {"namespace": [f"mx_{unique}"]}))
        assert catalog_status(root, f"namespaces/mx_{unique}") == (200 if outcome == ALLOW else 404)
        return outcome
    if op == "LoadTable":
        return catalog_outcome(caller.catalog("GET", "namespaces/mx/tables/t"))
    if op == "CreateTable":
        outcome = catalog_outcome(caller.catalog("POST", "namespaces/mx/tables", {"name": f"c_{unique}", "schema": SCHEMA}))
        assert table_exists(root, "mx", f"c_{unique}") == (outcome == ALLOW)
        return outcome
    if op == "DropTable":
        create_table(root, "mx", f"d_{unique}")
        outcome = catalog_outcome(caller.catalog("DELETE", f"namespaces/mx/tables/d_{unique}"))
        assert table_exists(root, "mx", f"d_{unique}") == (outcome == DENY)
        return outcome

    if op == "CopyLanding":
        return copy(caller, root, target, (bucket, f"{landing}a.csv"), f"{landing}cp-{unique}")
    if op == "CopyGold":
        return copy(caller, root, target, (bucket, f"{gold}b.csv"), f"{landing}cp-{unique}")
    if op == "CopyForeign":
        return copy(caller, root, target, world.foreign, f"{landing}cp-{unique}")
    if op == "CopyToGold":
        return copy(caller, root, target, (bucket, f"{landing}a.csv"), f"{gold}cp-{unique}")
    if op == "PartCopyLanding":
        return part_copy(caller, root, target, f"{landing}a.csv", unique)
    if op == "PartCopyGold":
        return part_copy(caller, root, target, f"{gold}b.csv", unique)
    if op in ("BatchDeleteLanding", "BatchDeleteGold"):
        return batch_delete(caller, root, target, unique)
    if op == "CreateUploadLanding":
        return create_upload(caller, root, target, landing, unique)
    if op == "CreateUploadGold":
        return create_upload(caller, root, target, gold, unique)
    if op == "UploadPartLanding":
        return upload_part(caller, root, target, unique)
    if op == "CompleteLanding":
        return complete_upload(caller, root, target, unique)

    if op == "AdminCreateUser":
        outcome = admin_outcome(caller.admin("PUT", f"users/mx-new-{unique}", {}))
        assert root.admin("GET", f"users/mx-new-{unique}").status_code == (200 if outcome == ALLOW else 404)
        return outcome
    if op == "AdminCreatePolicy":
        document = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"})
        outcome = admin_outcome(caller.admin("PUT", f"policies/mx-p-{unique}", document))
        assert root.admin("GET", f"policies/mx-p-{unique}").status_code == (200 if outcome == ALLOW else 404)
        return outcome
    if op in ("AdminCreateAdminUser", "AdminCreateAdminGroup"):
        path = f"users/mx-boss-{unique}" if op == "AdminCreateAdminUser" else f"groups/mx-bosses-{unique}"
        outcome = admin_outcome(caller.admin("PUT", path, {"policies": ["admin"]}))
        made = root.admin("GET", path)
        assert made.status_code == (200 if outcome == ALLOW else 404), made.text
        assert outcome == DENY or made.json()["policies"] == ["admin"]
        return outcome
    if op == "UpdateTable":
        return commit(caller, root, "namespaces/mx/tables/t", {"requirements": [], "updates": set_property(f"mx-{unique}")},
                      [lambda: f"mx-{unique}" in table_properties(root, "mx", "t")])
    if op == "RenameTable":
        return rename(caller, root, "mx", "mx", unique)
    if op == "RenameFromGold":
        return rename(caller, root, "mxgold", "mx", unique)
    if op == "RenameToGold":
        return rename(caller, root, "mx", "mxgold", unique)
    if op == "Transaction":
        return commit(caller, root, "transactions/commit", {"table-changes": [table_change("mx", "t", set_property(f"mx-{unique}"))]},
                      [lambda: f"mx-{unique}" in table_properties(root, "mx", "t")])
    if op == "TransactionGold":
        changes = [table_change("mx", "t", set_property(f"mx-{unique}")), table_change("mxgold", "g", set_property(f"mx-{unique}"))]
        return commit(caller, root, "transactions/commit", {"table-changes": changes},
                      [lambda: f"mx-{unique}" in table_properties(root, "mx", "t"), lambda: f"mx-{unique}" in table_properties(root, "mxgold", "g")])
    if op == "TransactionCreate":
        change = table_change("mx", f"tc_{unique}", creation_updates(), [{"type": "assert-create"}])
        return commit(caller, root, "transactions/commit", {"table-changes": [change]}, [lambda: table_exists(root, "mx", f"tc_{unique}")])
    if op == "CommitCreate":
        body = {"requirements": [{"type": "assert-create"}], "updates": creation_updates()}
        return commit(caller, root, f"namespaces/mx/tables/cc_{unique}", body, [lambda: table_exists(root, "mx", f"cc_{unique}")])
    if op == "RegisterTable":
        metadata = create_table(root, "mx", f"rg_{unique}")["metadata-location"]
        assert root.catalog("DELETE", f"namespaces/mx/tables/rg_{unique}").status_code == 204  # the files stay
        return commit(caller, root, "namespaces/mx/register", {"name": f"rg_{unique}", "metadata-location": metadata},
                      [lambda: table_exists(root, "mx", f"rg_{unique}")])
    # --- the rest of S3 ---
    if op == "HeadBucket":
        return s3_outcome(lambda: s3.head_bucket(Bucket=bucket), head=True)
    if op == "DeleteBucket":
        doomed = f"mxdel-{unique}"
        root.s3.create_bucket(Bucket=doomed)
        outcome = s3_outcome(lambda: s3.delete_bucket(Bucket=doomed))
        assert bucket_exists(root, doomed) == (outcome == DENY)
        return outcome
    if op == "GetBucketLocation":
        return s3_outcome(lambda: s3.get_bucket_location(Bucket=bucket))
    if op == "GetBucketVersioning":
        return s3_outcome(lambda: s3.get_bucket_versioning(Bucket=bucket))
    if op == "PutBucketVersioning":
        # Turns versioning on, or (once on) to Suspended: a change root can see either way.
        before = root.s3.get_bucket_versioning(Bucket=bucket).get("Status")
        wanted = "Suspended" if before == "Enabled" else "Enabled"
        outcome = s3_outcome(lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": wanted}))
        assert root.s3.get_bucket_versioning(Bucket=bucket).get("Status") == (wanted if outcome == ALLOW else before)
        return outcome
    if op == "GetBucketPolicy":
        return s3_outcome(lambda: s3.get_bucket_policy(Bucket=bucket))
    if op == "DeleteBucketPolicy":
        before = bucket_policy(root, bucket)
        assert before is not None
        outcome = s3_outcome(lambda: s3.delete_bucket_policy(Bucket=bucket))
        assert bucket_policy(root, bucket) == (None if outcome == ALLOW else before)
        if outcome == ALLOW:
            root.s3.put_bucket_policy(Bucket=bucket, Policy=before)
        return outcome
    if op == "GetBucketPolicyStatus":
        return s3_outcome(lambda: s3.get_bucket_policy_status(Bucket=bucket))
    if op == "GetBucketTagging":
        return s3_outcome(lambda: s3.get_bucket_tagging(Bucket=bucket))
    if op == "PutBucketTagging":
        before = bucket_tags(root, bucket)
        outcome = s3_outcome(lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "mx", "Value": unique}]}))
        assert bucket_tags(root, bucket) == ({"mx": unique} if outcome == ALLOW else before)
        return outcome
    if op == "DeleteBucketTagging":
        root.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "mx", "Value": unique}]})
        outcome = s3_outcome(lambda: s3.delete_bucket_tagging(Bucket=bucket))
        assert bucket_tags(root, bucket) == ({} if outcome == ALLOW else {"mx": unique})
        root.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "mx", "Value": "fixture"}]})
        return outcome
    if op == "ListV1Landing":
        return s3_outcome(lambda: s3.list_objects(Bucket=bucket, Prefix=landing))
    if op == "ListVersionsLanding":
        return s3_outcome(lambda: s3.list_object_versions(Bucket=bucket, Prefix=landing))
    if op == "ListUploads":
        return s3_outcome(lambda: s3.list_multipart_uploads(Bucket=bucket))
    if op == "HeadLanding":
        return s3_outcome(lambda: s3.head_object(Bucket=bucket, Key=f"{landing}a.csv"), head=True)
    if op == "HeadGold":
        return s3_outcome(lambda: s3.head_object(Bucket=bucket, Key=f"{gold}b.csv"), head=True)
    if op == "AttributesLanding":
        return s3_outcome(lambda: s3.get_object_attributes(Bucket=bucket, Key=f"{landing}a.csv", ObjectAttributes=["ETag", "ObjectSize"]))
    if op == "GetTagsLanding":
        return s3_outcome(lambda: s3.get_object_tagging(Bucket=bucket, Key=f"{landing}a.csv"))
    if op == "PutTagsLanding":
        key = f"{landing}tag-{unique}"
        root.s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        outcome = s3_outcome(lambda: s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": "mx", "Value": unique}]}))
        assert object_tags(root, bucket, key) == ({"mx": unique} if outcome == ALLOW else {})
        return outcome
    if op == "DeleteTagsLanding":
        key = f"{landing}untag-{unique}"
        root.s3.put_object(Bucket=bucket, Key=key, Body=b"x", Tagging=f"mx={unique}")
        outcome = s3_outcome(lambda: s3.delete_object_tagging(Bucket=bucket, Key=key))
        assert object_tags(root, bucket, key) == ({} if outcome == ALLOW else {"mx": unique})
        return outcome
    if op == "AbortLanding":
        key = f"{landing}ab-{unique}"
        upload = root.s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        outcome = s3_outcome(lambda: s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload))
        uploads = root.s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
        assert len(uploads) == (0 if outcome == ALLOW else 1), uploads
        if outcome == DENY:
            root.s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
        return outcome
    if op == "ListPartsLanding":
        key = f"{landing}lp-{unique}"
        upload = root.s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        try:
            return s3_outcome(lambda: s3.list_parts(Bucket=bucket, Key=key, UploadId=upload))
        finally:
            root.s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)

    # --- the rest of the admin API ---
    if op == "AdminServerInfo":
        return admin_outcome(caller.admin("GET", "info"))
    if op == "AdminGetUser":
        return admin_outcome(caller.admin("GET", "users/mx-readonly"))
    if op == "AdminDeleteUser":
        admin(root.server, "PUT", f"users/mx-du-{unique}", {})
        outcome = admin_outcome(caller.admin("DELETE", f"users/mx-du-{unique}"))
        assert admin_status(root, f"users/mx-du-{unique}") == (404 if outcome == ALLOW else 200)
        return outcome
    if op in ("AdminCreateAccessKey", "AdminCreateServiceAccount"):
        kind, listed = ("keys", "accessKeys") if op == "AdminCreateAccessKey" else ("service-accounts", "serviceAccounts")
        before = set(root.admin("GET", f"users/{KEYHOLDER}").json()[listed])
        outcome = admin_outcome(caller.admin("POST", f"users/{KEYHOLDER}/{kind}", {}))
        after = set(root.admin("GET", f"users/{KEYHOLDER}").json()[listed])
        assert len(after - before) == (1 if outcome == ALLOW else 0) and before <= after, (before, after)
        return outcome
    if op in ("AdminAttachUserPolicy", "AdminDetachUserPolicy", "AdminAttachGroupPolicy", "AdminDetachGroupPolicy"):
        attach = "Attach" in op
        path = f"users/mx-pu-{unique}" if "User" in op else f"groups/mx-pg-{unique}"
        admin(root.server, "PUT", path, {"policies": [] if attach else ["readonly"]})
        outcome = admin_outcome(caller.admin("PUT" if attach else "DELETE", f"{path}/policies/readonly"))
        changed = (outcome == ALLOW) == attach
        assert root.admin("GET", path).json()["policies"] == (["readonly"] if changed else [])
        return outcome
    if op == "AdminListServiceAccounts":
        return admin_outcome(caller.admin("GET", "service-accounts"))
    if op == "AdminUpdateAccessKey":
        key = admin(root.server, "POST", f"users/{KEYHOLDER}/service-accounts", {}).json()["accessKey"]
        outcome = admin_outcome(caller.admin("PUT", f"keys/{key}", {"enabled": False}))
        accounts = {a["accessKey"]: a for a in root.admin("GET", "service-accounts").json()["serviceAccounts"]}
        assert accounts[key]["enabled"] == (outcome == DENY)
        return outcome
    if op == "AdminDeleteAccessKey":
        key = admin(root.server, "POST", f"users/{KEYHOLDER}/keys", {}).json()["accessKey"]
        outcome = admin_outcome(caller.admin("DELETE", f"keys/{key}"))
        assert (key in root.admin("GET", f"users/{KEYHOLDER}").json()["accessKeys"]) == (outcome == DENY)
        return outcome
    if op == "AdminListGroups":
        return admin_outcome(caller.admin("GET", "groups"))
    if op == "AdminGetGroup":
        return admin_outcome(caller.admin("GET", "groups/mx-team"))
    if op == "AdminCreateGroup":
        outcome = admin_outcome(caller.admin("PUT", f"groups/mx-cg-{unique}", {}))
        assert admin_status(root, f"groups/mx-cg-{unique}") == (200 if outcome == ALLOW else 404)
        return outcome
    if op == "AdminDeleteGroup":
        admin(root.server, "PUT", f"groups/mx-dg-{unique}", {})
        outcome = admin_outcome(caller.admin("DELETE", f"groups/mx-dg-{unique}"))
        assert admin_status(root, f"groups/mx-dg-{unique}") == (404 if outcome == ALLOW else 200)
        return outcome
    if op in ("AdminAddGroupMember", "AdminRemoveGroupMember"):
        add = op == "AdminAddGroupMember"
        path = f"groups/mx-gm-{unique}"
        admin(root.server, "PUT", path, {"members": [] if add else [KEYHOLDER]})
        outcome = admin_outcome(caller.admin("PUT" if add else "DELETE", f"{path}/members/{KEYHOLDER}"))
        changed = (outcome == ALLOW) == add
        assert root.admin("GET", path).json()["members"] == ([KEYHOLDER] if changed else [])
        return outcome
    if op == "AdminListPolicies":
        return admin_outcome(caller.admin("GET", "policies"))
    if op == "AdminGetPolicy":
        return admin_outcome(caller.admin("GET", "policies/landing-only"))
    if op == "AdminDeletePolicy":
        admin(root.server, "PUT", f"policies/mx-dp-{unique}", policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}))
        outcome = admin_outcome(caller.admin("DELETE", f"policies/mx-dp-{unique}"))
        assert admin_status(root, f"policies/mx-dp-{unique}") == (404 if outcome == ALLOW else 200)
        return outcome

    # --- the rest of the catalog ---
    if op == "LoadNamespace":
        return catalog_outcome(caller.catalog("GET", "namespaces/mx"))
    if op == "NamespaceExists":
        return catalog_outcome(caller.catalog("HEAD", "namespaces/mx"))
    if op == "CreateChildNamespace":
        outcome = catalog_outcome(caller.catalog("POST", "namespaces", {"namespace": ["mx", f"cn_{unique}"]}))
        assert catalog_status(root, f"namespaces/{namespace_path('mx', f'cn_{unique}')}") == (200 if outcome == ALLOW else 404)
        return outcome
    if op == "DropNamespace":
        assert catalog_outcome(root.catalog("POST", "namespaces", {"namespace": ["mx", f"dn_{unique}"]})) == ALLOW
        path = f"namespaces/{namespace_path('mx', f'dn_{unique}')}"
        outcome = catalog_outcome(caller.catalog("DELETE", path))
        assert catalog_status(root, path) == (404 if outcome == ALLOW else 200)
        return outcome
    if op == "UpdateNamespaceProperties":
        outcome = catalog_outcome(caller.catalog("POST", "namespaces/mx/properties", {"removals": [], "updates": {f"mx-{unique}": "1"}}))
        properties = root.catalog("GET", "namespaces/mx").json()["properties"]
        assert (f"mx-{unique}" in properties) == (outcome == ALLOW)
        return outcome
    if op == "ListTables":
        return catalog_outcome(caller.catalog("GET", "namespaces/mx/tables"))
    if op == "TableExists":
        return catalog_outcome(caller.catalog("HEAD", "namespaces/mx/tables/t"))
    if op == "ReportMetrics":
        return catalog_outcome(caller.catalog("POST", "namespaces/mx/tables/t/metrics", {"report-type": "scan-report"}))
    if op == "LoadCredentials":
        response = caller.catalog("GET", "namespaces/mx/tables/t/credentials")
        outcome = catalog_outcome(response)
        assert outcome == DENY or response.json()["storage-credentials"], response.text
        return outcome
    if op == "ListViews":
        return catalog_outcome(caller.catalog("GET", "namespaces/mx/views"))
    if op == "CreateView":
        outcome = catalog_outcome(caller.catalog("POST", "namespaces/mx/views", view_body(f"cv_{unique}")))
        assert catalog_status(root, f"namespaces/mx/views/cv_{unique}") == (200 if outcome == ALLOW else 404)
        return outcome
    if op == "RegisterView":
        metadata = create_view(root, "mx", f"rv_{unique}")["metadata-location"]
        assert root.catalog("DELETE", f"namespaces/mx/views/rv_{unique}").status_code == 204  # the files stay
        outcome = catalog_outcome(caller.catalog("POST", "namespaces/mx/register-view", {"name": f"rv_{unique}", "metadata-location": metadata}))
        assert catalog_status(root, f"namespaces/mx/views/rv_{unique}") == (200 if outcome == ALLOW else 404)
        return outcome
    if op == "LoadView":
        return catalog_outcome(caller.catalog("GET", "namespaces/mx/views/v"))
    if op == "ViewExists":
        return catalog_outcome(caller.catalog("HEAD", "namespaces/mx/views/v"))
    if op == "ReplaceView":
        body = {"requirements": [], "updates": [{"action": "set-properties", "updates": {f"mx-{unique}": "1"}}]}
        outcome = catalog_outcome(caller.catalog("POST", "namespaces/mx/views/v", body))
        properties = root.catalog("GET", "namespaces/mx/views/v").json()["metadata"].get("properties", {})
        assert (f"mx-{unique}" in properties) == (outcome == ALLOW)
        return outcome
    if op == "DropView":
        create_view(root, "mx", f"dv_{unique}")
        outcome = catalog_outcome(caller.catalog("DELETE", f"namespaces/mx/views/dv_{unique}"))
        assert catalog_status(root, f"namespaces/mx/views/dv_{unique}") == (404 if outcome == ALLOW else 200)
        return outcome
    if op in ("RenameView", "RenameViewFromGold", "RenameViewToGold"):
        source_namespace = "mxgold" if op == "RenameViewFromGold" else "mx"
        destination_namespace = "mxgold" if op == "RenameViewToGold" else "mx"
        source, destination = f"vs_{unique}", f"vd_{unique}"
        create_view(root, source_namespace, source)
        outcome = catalog_outcome(caller.catalog("POST", "views/rename", {
            "source": {"namespace": [source_namespace], "name": source}, "destination": {"namespace": [destination_namespace], "name": destination}}))
        assert catalog_status(root, f"namespaces/{source_namespace}/views/{source}") == (404 if outcome == ALLOW else 200)
        assert catalog_status(root, f"namespaces/{destination_namespace}/views/{destination}") == (200 if outcome == ALLOW else 404)
        return outcome
    # --- bucket settings, ACLs, form uploads ---
    if op == "GetBucketAcl":
        return s3_outcome(lambda: s3.get_bucket_acl(Bucket=bucket))
    if op == "PutBucketAcl":
        before = acl_document(root.s3.get_bucket_acl(Bucket=bucket))
        outcome = s3_outcome(lambda: s3.put_bucket_acl(Bucket=bucket, ACL="bucket-owner-full-control"))
        assert acl_document(root.s3.get_bucket_acl(Bucket=bucket)) == before
        return outcome
    if op == "GetObjectAcl":
        return s3_outcome(lambda: s3.get_object_acl(Bucket=bucket, Key=f"{landing}a.csv"))
    if op == "PutObjectAcl":
        key = f"{landing}acl-{unique}"
        root.s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        before = acl_document(root.s3.get_object_acl(Bucket=bucket, Key=key))
        outcome = s3_outcome(lambda: s3.put_object_acl(Bucket=bucket, Key=key, ACL="bucket-owner-full-control"))
        assert acl_document(root.s3.get_object_acl(Bucket=bucket, Key=key)) == before
        root.s3.delete_object(Bucket=bucket, Key=key)
        return outcome
    if op == "GetOwnershipControls":
        return s3_outcome(lambda: s3.get_bucket_ownership_controls(Bucket=bucket))
    if op == "PutOwnershipControls":
        before = ownership(root, bucket)
        wanted = "ObjectWriter" if before == "BucketOwnerPreferred" else "BucketOwnerPreferred"
        outcome = s3_outcome(lambda: s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": wanted}]}))
        assert ownership(root, bucket) == (wanted if outcome == ALLOW else before)
        set_ownership(root, bucket, before)
        return outcome
    if op == "DeleteOwnershipControls":
        before = ownership(root, bucket)
        assert before is not None
        outcome = s3_outcome(lambda: s3.delete_bucket_ownership_controls(Bucket=bucket))
        assert ownership(root, bucket) == (None if outcome == ALLOW else before)
        set_ownership(root, bucket, before)
        return outcome
    if op == "GetPublicAccessBlock":
        return s3_outcome(lambda: s3.get_public_access_block(Bucket=bucket))
    if op == "PutPublicAccessBlock":
        # Blocks public ACLs, which no row bucket uses (and only until root restores the fixture's).
        wanted = dict(OPEN_BLOCK, BlockPublicAcls=True)
        assert public_access_block(root, bucket) == OPEN_BLOCK
        outcome = s3_outcome(lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=wanted))
        assert public_access_block(root, bucket) == (wanted if outcome == ALLOW else OPEN_BLOCK)
        root.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=OPEN_BLOCK)
        return outcome
    if op == "DeletePublicAccessBlock":
        assert public_access_block(root, bucket) == OPEN_BLOCK
        outcome = s3_outcome(lambda: s3.delete_public_access_block(Bucket=bucket))
        assert public_access_block(root, bucket) == (None if outcome == ALLOW else OPEN_BLOCK)
        root.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=OPEN_BLOCK)
        return outcome
    if op == "GetBucketCors":
        return s3_outcome(lambda: s3.get_bucket_cors(Bucket=bucket))
    if op == "PutBucketCors":
        before = bucket_cors(root, bucket)
        origin = f"https://{unique}.example"
        outcome = s3_outcome(lambda: s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={
            "CORSRules": [{"AllowedOrigins": [origin], "AllowedMethods": ["PUT"]}]}))
        assert bucket_cors(root, bucket) == ([origin] if outcome == ALLOW else before)
        root.s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=FIXTURE_CORS)
        return outcome
    if op == "DeleteBucketCors":
        before = bucket_cors(root, bucket)
        assert before is not None
        outcome = s3_outcome(lambda: s3.delete_bucket_cors(Bucket=bucket))
        assert bucket_cors(root, bucket) == (None if outcome == ALLOW else before)
        root.s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=FIXTURE_CORS)
        return outcome
    if op == "GetBucketLogging":
        return s3_outcome(lambda: s3.get_bucket_logging(Bucket=bucket))
    if op == "PutBucketLogging":
        assert logging_prefix(root, bucket) is None
        prefix = f"mx-{unique}/"
        outcome = s3_outcome(lambda: s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": world.logs, "TargetPrefix": prefix}}))
        assert logging_prefix(root, bucket) == (prefix if outcome == ALLOW else None)
        root.s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
        return outcome
    if op in ("PostLanding", "PostGold", "PostLandingV2"):
        key = f"{gold if op == 'PostGold' else landing}post-{unique}"
        outcome = post_object(caller, bucket, key, v2=op == "PostLandingV2")
        assert exists(root, bucket, key) == (outcome == ALLOW), key
        return outcome
    # --- governance: lifecycle, default encryption, notifications, Object Lock ---
    if op == "GetLifecycle":
        root.s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=FIXTURE_LIFECYCLE)
        try:
            return s3_outcome(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
        finally:
            root.s3.delete_bucket_lifecycle(Bucket=bucket)
    if op == "PutLifecycle":
        outcome = s3_outcome(lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=FIXTURE_LIFECYCLE))
        assert lifecycle_ids(root, bucket) == (["mx-far"] if outcome == ALLOW else None)
        root.s3.delete_bucket_lifecycle(Bucket=bucket)
        return outcome
    if op == "DeleteLifecycle":
        root.s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=FIXTURE_LIFECYCLE)
        outcome = s3_outcome(lambda: s3.delete_bucket_lifecycle(Bucket=bucket))
        assert lifecycle_ids(root, bucket) == (None if outcome == ALLOW else ["mx-far"])
        root.s3.delete_bucket_lifecycle(Bucket=bucket)
        return outcome
    if op in ("GetEncryption", "PutEncryption", "DeleteEncryption"):
        if op != "PutEncryption":
            root.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=FIXTURE_ENCRYPTION)
        try:
            if op == "GetEncryption":
                return s3_outcome(lambda: s3.get_bucket_encryption(Bucket=bucket))
            call = (lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=FIXTURE_ENCRYPTION)) if op == "PutEncryption" \
                else (lambda: s3.delete_bucket_encryption(Bucket=bucket))
            outcome = s3_outcome(call)
            expected_default = (outcome == ALLOW) if op == "PutEncryption" else (outcome != ALLOW)
            assert (encryption_algorithm(root, bucket) == "AES256") == expected_default
            return outcome
        finally:
            root.s3.delete_bucket_encryption(Bucket=bucket)
    if op == "GetNotification":
        return s3_outcome(lambda: s3.get_bucket_notification_configuration(Bucket=bucket))
    if op == "PutNotification":
        # An empty configuration: allowed or not, nothing changes (no target admits a row bucket).
        return s3_outcome(lambda: s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={}))
    if op == "GetLockConfiguration":
        return s3_outcome_allowing(lambda: s3.get_object_lock_configuration(Bucket=bucket), "ObjectLockConfigurationNotFoundError")
    if op == "PutLockConfiguration":
        return s3_outcome_allowing(lambda: s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Disabled"}),
                                   "MalformedXML")
    if op == "GetRetention":
        return s3_outcome_allowing(lambda: s3.get_object_retention(Bucket=bucket, Key=f"{landing}a.csv"), "InvalidRequest")
    if op == "PutRetention":
        until = datetime.now(timezone.utc) + timedelta(days=1)
        return s3_outcome_allowing(lambda: s3.put_object_retention(
            Bucket=bucket, Key=f"{landing}a.csv", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}), "InvalidRequest")
    if op == "GetLegalHold":
        return s3_outcome_allowing(lambda: s3.get_object_legal_hold(Bucket=bucket, Key=f"{landing}a.csv"), "InvalidRequest")
    if op == "PutLegalHold":
        return s3_outcome_allowing(lambda: s3.put_object_legal_hold(Bucket=bucket, Key=f"{landing}a.csv", LegalHold={"Status": "ON"}), "InvalidRequest")
    # --- the key store and notification targets ---
    if op == "AdminListKMSKeys":
        return admin_outcome(caller.admin("GET", "kms/keys"))
    if op == "AdminCreateKMSKey":
        outcome = admin_outcome(caller.admin("PUT", f"kms/keys/mx-{unique}"))
        assert (f"mx-{unique}" in {k["name"] for k in root.admin("GET", "kms/keys").json()["keys"]}) == (outcome == ALLOW)
        return outcome
    if op == "AdminRotateKMSKey":
        admin(root.server, "PUT", f"kms/keys/mx-r-{unique}")
        outcome = admin_outcome(caller.admin("POST", f"kms/keys/mx-r-{unique}/rotate"))
        version = next(k["version"] for k in root.admin("GET", "kms/keys").json()["keys"] if k["name"] == f"mx-r-{unique}")
        assert version == (2 if outcome == ALLOW else 1)
        return outcome
    if op == "AdminListTargets":
        return admin_outcome(caller.admin("GET", "notify/targets"))
    if op == "AdminPutTarget":
        outcome = admin_outcome(caller.admin("PUT", f"notify/targets/mx-{unique}", {"url": "http://127.0.0.1:9/x"}))
        assert (f"mx-{unique}" in {t["name"] for t in root.admin("GET", "notify/targets").json()["targets"]}) == (outcome == ALLOW)
        return outcome
    if op == "AdminDeleteTarget":
        admin(root.server, "PUT", f"notify/targets/mx-d-{unique}", {"url": "http://127.0.0.1:9/x"})
        outcome = admin_outcome(caller.admin("DELETE", f"notify/targets/mx-d-{unique}"))
        assert (f"mx-d-{unique}" in {t["name"] for t in root.admin("GET", "notify/targets").json()["targets"]}) == (outcome != ALLOW)
        return outcome
    if op == "AdminNotifyStatus":
        return admin_outcome(caller.admin("GET", "notify/status"))
    if op == "AdminRedrive":
        return admin_outcome(caller.admin("POST", "notify/redrive", {}))
    if op == "AdminPurgeDead":
        return admin_outcome(caller.admin("DELETE", "notify/dead"))
    raise AssertionError(op)


FIXTURE_LIFECYCLE = {"Rules": [{"ID": "mx-far", "Filter": {"Prefix": "mx-none/"}, "Status": "Enabled", "Expiration": {"Days": 36500}}]}
FIXTURE_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


def lifecycle_ids(root, bucket):
    try:
        return [rule["ID"] for rule in root.s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchLifecycleConfiguration", e.response
        return None


def encryption_algorithm(root, bucket):
    try:
        rules = root.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        return rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ServerSideEncryptionConfigurationNotFoundError", e.response
        return None


def s3_outcome_allowing(call, *codes):
    """As s3_outcome, where the named error codes are the bucket's own answer to an authorized call."""
    try:
        call()
        return ALLOW
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code in codes:
            return ALLOW
        assert code == "AccessDenied", e.response
        return DENY


@pytest.mark.parametrize("principal", list(MATRIX))
def test_access_matrix(world, principal):
    want = {op: outcome for op, outcome in expected(principal).items() if outcome is not None}
    got = {}
    for op in want:
        if op not in got:
            outcome = run(world, principal, op)
            got.update(outcome if isinstance(outcome, dict) else {op: outcome})
    assert {op: got[op] for op in want} == want


def test_matrix_rows_match():
    columns = [op for operations, _ in TABLES for op in operations]
    assert len(set(columns)) == len(columns), "a column name is used twice"
    for operations, matrix in TABLES:
        assert set(matrix) == set(MATRIX)
        for principal in matrix:
            assert len(matrix[principal].split()) == len(operations), principal


SOURCES = Path(__file__).resolve().parents[2] / "Sources"


def routed_s3_operations():
    """The raw value of every case of `enum Operation` but the three that are no S3 operation and the preflight."""
    text = (SOURCES / "S3API" / "Operation.swift").read_text()
    body = text[text.index("enum Operation"):text.index("static let subresources")]
    names = set()
    for line in body.splitlines():
        match = re.match(r"\s*case\s+(.+?)\s*$", line)
        for case in (match.group(1).split(",") if match else []):
            named = re.fullmatch(r'\s*(\w+)\s*(?:=\s*"([^"]*)")?\s*', case)
            assert named, line
            names.add(named.group(2) or named.group(1))
    # PreflightRequest (CORS OPTIONS) never authenticates: it is answered from the bucket's CORS rules alone.
    return names - {"Admin", "NotImplemented", "MethodNotAllowed", "PreflightRequest"}


def routed_admin_actions():
    """The action names `AdminRoute.action` returns."""
    text = (SOURCES / "S3API" / "Handlers" / "AdminHandlers.swift").read_text()
    body = text[text.index("struct AdminRoute"):]
    body = body[:body.index("\n}\n")]
    return set(re.findall(r'return\s+"(\w+)"', body))


def routed_catalog_endpoints():
    """Every `CatalogRoute.endpoint` string."""
    text = (SOURCES / "CatalogAPI" / "CatalogRoute.swift").read_text()
    return set(re.findall(r'return\s+"((?:GET|HEAD|POST|PUT|DELETE|PATCH) /v1/[^"]*)"', text))


@pytest.mark.parametrize("routed, columns", [
    (routed_s3_operations, S3_COLUMNS), (routed_admin_actions, ADMIN_COLUMNS), (routed_catalog_endpoints, CATALOG_COLUMNS)],
    ids=["s3", "admin", "catalog"])
def test_every_routed_operation_has_a_column(routed, columns):
    """Every operation the server routes has matrix columns: a new S3 operation, admin action or catalog endpoint fails
    here until it is in the matrix (and a mapping naming an operation the server no longer has fails too)."""
    names = routed()
    assert names, routed.__name__
    assert sorted(names - set(columns)) == [], "routed but not in the access matrix"
    assert sorted(set(columns) - names) == [], "in the access matrix but not routed"
    matrix_columns = {op for operations, _ in TABLES for op in operations}
    for name, mapped in columns.items():
        assert mapped and set(mapped) <= matrix_columns, (name, set(mapped) - matrix_columns)


def test_every_column_names_a_routed_operation():
    mapped = {op for columns in (S3_COLUMNS, ADMIN_COLUMNS, CATALOG_COLUMNS) for ops in columns.values() for op in ops}
    assert sorted({op for operations, _ in TABLES for op in operations} - mapped) == []


def test_list_buckets_shows_only_what_a_user_may_see(world):
    server, bucket = world.server, world.bucket
    seen = {b["Name"] for b in world.callers["readonly"].s3.list_buckets()["Buckets"]}
    assert {bucket, world.public} <= seen
    admin(server, "PUT", "policies/one-bucket", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})
    admin(server, "PUT", "users/mx-one", {"policies": ["one-bucket"]})
    key = admin(server, "POST", "users/mx-one/keys").json()
    one = Caller(server, key["accessKey"], key["secretKey"], oauth=False)
    assert [b["Name"] for b in one.s3.list_buckets()["Buckets"]] == [bucket]
