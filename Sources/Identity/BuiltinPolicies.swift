/// The policies every Floe has, named as MinIO names them, so operators can attach them at once.
public enum BuiltinPolicies {
    public static let documents: [String: String] = [
        "readonly": """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions", "s3:ListAllMyBuckets", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes", "iceberg:List*", "iceberg:Load*"], "Resource": ["arn:aws:s3:::*", "arn:floe:iceberg:::*"]}, {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["arn:floe:kms:::key/*"]}]}
            """,
        "writeonly": """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"], "Resource": ["arn:aws:s3:::*"]}, {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": ["arn:floe:kms:::key/*"]}]}
            """,
        "readwrite": """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "iceberg:*"], "Resource": ["arn:aws:s3:::*", "arn:floe:iceberg:::*"]}, {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": ["arn:floe:kms:::key/*"]}]}
            """,
        // A user who works with the buckets it creates, as an account does in AWS: others'
        // buckets only as their policies or ACLs grant.
        "bucket-owner": """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListAllMyBuckets"], "Resource": ["arn:aws:s3:::*"]}, {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"], "Condition": {"Bool": {"floe:IsBucketOwner": "true"}}}, {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": ["arn:floe:kms:::key/*"]}]}
            """,
        "diagnostics": """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["admin:ServerInfo", "admin:Prometheus"], "Resource": ["arn:floe:admin:::*"]}]}
            """,
        "admin": """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["admin:*", "s3:*", "iceberg:*", "kms:*"], "Resource": ["arn:aws:s3:::*", "arn:floe:iceberg:::*", "arn:floe:admin:::*", "arn:floe:kms:::*"]}]}
            """,
    ]
}
