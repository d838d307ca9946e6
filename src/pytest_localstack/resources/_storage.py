"""Storage resources: S3 buckets (with their objects) and DynamoDB tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_localstack.resources._aws import partition, wait_until
from pytest_localstack.resources._base import FactoryBase
from pytest_localstack.resources.records import DynamoDBTable, S3Bucket


class StorageFactory(FactoryBase):
    """``make_s3_bucket`` and ``make_dynamodb_table``."""

    # -- S3 -----------------------------------------------------------------------------------

    def make_s3_bucket(
        self,
        objects: Mapping[str, bytes | str] | None = None,
        *,
        name: str | None = None,
        **kwargs: Any,
    ) -> S3Bucket:
        """Create an S3 bucket, optionally with objects in it.

        Bucket names are global in S3 and in both emulators (across accounts), so give
        ``name`` only when the test needs that exact name.

        :param objects: key -> content (``str`` is stored UTF-8 encoded).
        :param name: the bucket name; a unique one by default.
        :param kwargs: more ``CreateBucket`` arguments (``ObjectLockEnabledForBucket``, ...).
            Outside ``us-east-1`` the location constraint is set to the session's region.
        :returns: the bucket's name, ARN, region and the keys of ``objects``.
        """
        s3 = self.client("s3")
        name = name or self.unique_name("s3")
        region = self.session.region_name
        if region != "us-east-1":
            kwargs.setdefault("CreateBucketConfiguration", {"LocationConstraint": region})
        s3.create_bucket(Bucket=name, **kwargs)
        bucket = S3Bucket(
            name=name,
            arn=f"arn:{partition(region)}:s3:::{name}",
            region=region,
            keys=tuple(objects or ()),
        )
        self.add_cleanup(f"S3 bucket {name!r}", lambda: self._delete_bucket(name), bucket)
        for key, body in (objects or {}).items():
            data = body.encode() if isinstance(body, str) else body
            s3.put_object(Bucket=name, Key=key, Body=data)
        return bucket

    def _delete_bucket(self, name: str) -> None:
        s3 = self.client("s3")
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            doomed = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=name)

    # -- DynamoDB -----------------------------------------------------------------------------

    def make_dynamodb_table(
        self,
        hash_key: str = "id",
        hash_key_type: str = "S",
        range_key: str | None = None,
        range_key_type: str = "S",
        *,
        name: str | None = None,
        wait: bool = True,
        **kwargs: Any,
    ) -> DynamoDBTable:
        """Create a DynamoDB table (on-demand billing unless throughput is given).

        :param hash_key: name of the partition key.
        :param hash_key_type: its type: ``S``, ``N`` or ``B``.
        :param range_key: name of the sort key, if any.
        :param range_key_type: its type.
        :param name: the table name; a unique one by default.
        :param wait: return once the table is ``ACTIVE``.
        :param kwargs: more ``CreateTable`` arguments (``GlobalSecondaryIndexes``,
            ``StreamSpecification``, ...). Given ``KeySchema`` replaces the keys above; given
            ``AttributeDefinitions`` are completed with the keys' types.
        :returns: the table's name, ARN and stream ARN.
        """
        name = name or self.unique_name("dynamodb")
        if "KeySchema" not in kwargs:
            kwargs["KeySchema"] = [{"AttributeName": hash_key, "KeyType": "HASH"}]
            types = {hash_key: hash_key_type}
            if range_key is not None:
                kwargs["KeySchema"].append({"AttributeName": range_key, "KeyType": "RANGE"})
                types[range_key] = range_key_type
            definitions = list(kwargs.get("AttributeDefinitions", []))
            defined = {d["AttributeName"] for d in definitions}
            definitions += [
                {"AttributeName": k, "AttributeType": t}
                for k, t in types.items()
                if k not in defined
            ]
            kwargs["AttributeDefinitions"] = definitions
        if "ProvisionedThroughput" not in kwargs:
            kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        dynamodb = self.client("dynamodb")
        description = dynamodb.create_table(TableName=name, **kwargs)["TableDescription"]
        table = DynamoDBTable(
            name=name,
            arn=description["TableArn"],
            stream_arn=description.get("LatestStreamArn"),
        )
        self.add_cleanup(
            f"DynamoDB table {name!r}", lambda: dynamodb.delete_table(TableName=name), table
        )
        if wait:
            wait_until(
                lambda: dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE",
                f"DynamoDB table {name!r} to become ACTIVE",
            )
        return table
