"""The file store: named blobs (product images, later documents) on the local disk or in an S3-compatible store.

Keys are relative paths such as "t12/images/ab12cd.webp". The local store keeps them under
`<var_dir>/objects/`; the S3 store is used when STOCKYARD_S3_ENDPOINT is set.
"""

import re
from pathlib import Path
from typing import Any, Protocol

from stockyard.core.settings import Settings

_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid object key {key!r}")
    return key


class FileStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Removes the object; a missing object is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def url(self, key: str, seconds: int = 300) -> str | None:
        """A URL a browser can fetch directly (presigned), or None when the app must serve the bytes."""
        ...


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see half a file

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def url(self, key: str, seconds: int = 300) -> str | None:
        return None


class S3FileStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> "S3FileStore":
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint, region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key, aws_secret_access_key=settings.s3_secret_key,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
        return cls(client, settings.s3_bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        return response["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def url(self, key: str, seconds: int = 300) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=seconds)


def file_store(settings: Settings) -> FileStore:
    if settings.s3_endpoint:
        missing = [name for name in ("s3_bucket", "s3_access_key", "s3_secret_key") if not getattr(settings, name)]
        if missing:
            raise ValueError("STOCKYARD_S3_ENDPOINT is set but " + ", ".join(f"STOCKYARD_{m.upper()}" for m in missing)
                             + " is not")
        return S3FileStore.from_settings(settings)
    return LocalFileStore(settings.var_dir / "objects")
