import SQLiteSupport
/// The index schema as numbered migrations; `PRAGMA user_version` records how many ran.
/// Never edit a released migration: add the next one.
enum IndexSchema {
    static let migrations: [String] = [
        // 1: buckets and object versions.
        """
        CREATE TABLE buckets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            region TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            versioning TEXT NOT NULL DEFAULT '',
            object_count INTEGER NOT NULL DEFAULT 0,
            byte_count INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            bucket_id INTEGER NOT NULL REFERENCES buckets(id),
            key BLOB NOT NULL,
            version_id TEXT NOT NULL,
            is_latest INTEGER NOT NULL,
            is_delete_marker INTEGER NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified_ms INTEGER NOT NULL,
            blob TEXT,
            attributes TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX versions_latest ON versions(bucket_id, key) WHERE is_latest = 1;
        CREATE UNIQUE INDEX versions_by_id ON versions(bucket_id, key, version_id);
        CREATE INDEX versions_blob ON versions(blob) WHERE blob IS NOT NULL;
        """,
        // 2: version order, multipart objects and uploads, bucket tags.
        """
        ALTER TABLE buckets ADD COLUMN tags TEXT;
        ALTER TABLE versions ADD COLUMN upload_id TEXT;
        CREATE INDEX versions_order ON versions(bucket_id, key, id);
        CREATE INDEX versions_upload ON versions(bucket_id, upload_id) WHERE upload_id IS NOT NULL;
        CREATE TABLE version_parts (
            version_row INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
            part_number INTEGER NOT NULL,
            size INTEGER NOT NULL,
            md5 TEXT NOT NULL,
            blob TEXT NOT NULL,
            checksum TEXT,
            last_modified_ms INTEGER NOT NULL,
            PRIMARY KEY (version_row, part_number)
        ) STRICT;
        CREATE INDEX version_parts_blob ON version_parts(blob);
        CREATE TABLE uploads (
            id INTEGER PRIMARY KEY,
            bucket_id INTEGER NOT NULL REFERENCES buckets(id),
            key BLOB NOT NULL,
            upload_id TEXT NOT NULL UNIQUE,
            initiated_ms INTEGER NOT NULL,
            attributes TEXT NOT NULL,
            checksum_algorithm TEXT,
            checksum_type TEXT
        ) STRICT;
        CREATE INDEX uploads_by_key ON uploads(bucket_id, key, id);
        CREATE INDEX uploads_by_age ON uploads(initiated_ms);
        CREATE TABLE upload_parts (
            upload_row INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
            part_number INTEGER NOT NULL,
            size INTEGER NOT NULL,
            md5 TEXT NOT NULL,
            blob TEXT NOT NULL,
            checksum TEXT,
            last_modified_ms INTEGER NOT NULL,
            PRIMARY KEY (upload_row, part_number)
        ) STRICT;
        CREATE INDEX upload_parts_blob ON upload_parts(blob);
        """,
        // 3: bucket policies.
        """
        ALTER TABLE buckets ADD COLUMN policy TEXT;
        """,
        // 4: the bytes of small objects in their version row (last, so scans that do not
        // select it never read its overflow pages).
        """
        ALTER TABLE versions ADD COLUMN inline BLOB;
        """,
        // 5: bucket owners (NULL for buckets made before owners were kept: root's) and the
        // bucket's sub-resource settings (ownership controls, ACL, CORS, …) as one JSON document.
        """
        ALTER TABLE buckets ADD COLUMN owner TEXT;
        ALTER TABLE buckets ADD COLUMN settings TEXT;
        """,
        // 6: the key store of SSE-KMS: named keys, one row per version, material sealed under
        // the master key.
        """
        CREATE TABLE kms_keys (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            material BLOB NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (name, version)
        ) STRICT;
        """,
        // 7: bucket notifications: webhook targets (secrets sealed) and the outbox, whose rows are
        // written in the transaction of the change they report.
        """
        CREATE TABLE notification_targets (
            name TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            sealed_secrets BLOB,
            allowed_buckets TEXT NOT NULL DEFAULT '[]',
            created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            target TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            dead INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX outbox_pending ON outbox(dead, id);
        CREATE INDEX outbox_by_target ON outbox(target, dead, id);
        """,
        // 8: the keys a latest listing shows, with the flags it filters on: the probe for the next
        // common prefix reads this index alone, not the version row behind each key.
        """
        CREATE INDEX versions_live ON versions(bucket_id, key, is_latest, is_delete_marker) WHERE is_latest = 1 AND is_delete_marker = 0;
        """,
    ]
}
