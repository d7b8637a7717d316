"""The single DynamoDB table, the raw-delivery bucket with its archive streams, and the reports bucket."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_s3 as s3
from constructs import Construct
from socialcare import constants as c
from socialcare.aws import schema
from socialcare.model.archived import archive_prefix

from socialcare_infra.checks import acknowledge
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames

_Stream = firehose.CfnDeliveryStream


def removal_policy(config: StageConfig) -> RemovalPolicy:
    return RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY


class CaseTable(Construct):
    """The table, built from ``aws/schema.py``: the same keys and GSIs as the local stack's."""

    def __init__(self, scope: Construct, id: str, *, config: StageConfig, names: ResourceNames) -> None:
        super().__init__(scope, id)
        spec = schema.create_table_kwargs(names.table)
        attribute_types = {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}

        def attribute(name: str) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=name, type=dynamodb.AttributeType(_ATTRIBUTE_TYPES[attribute_types[name]]))

        keys = {k["KeyType"]: k["AttributeName"] for k in spec["KeySchema"]}
        stream = spec.get("StreamSpecification", {})
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=spec["TableName"],
            partition_key=attribute(keys["HASH"]),
            sort_key=attribute(keys["RANGE"]),
            billing_mode=dynamodb.BillingMode(spec["BillingMode"]),
            time_to_live_attribute=c.TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=config.point_in_time_recovery
            ),
            deletion_protection=config.deletion_protection,
            removal_policy=removal_policy(config),
            stream=dynamodb.StreamViewType(stream["StreamViewType"]) if stream.get("StreamEnabled") else None,
        )
        for gsi in spec["GlobalSecondaryIndexes"]:
            self.table.add_global_secondary_index(
                index_name=gsi["IndexName"],
                partition_key=attribute(_key(gsi, "HASH")),
                sort_key=attribute(_key(gsi, "RANGE")),
                projection_type=dynamodb.ProjectionType(gsi["Projection"]["ProjectionType"]),
                non_key_attributes=gsi["Projection"].get("NonKeyAttributes"),
            )

    def index_arns(self, names: tuple[str, ...]) -> list[str]:
        return [f"{self.table.table_arn}/index/{name}" for name in names]


_ATTRIBUTE_TYPES = {"S": "STRING", "N": "NUMBER", "B": "BINARY"}


def _key(gsi: dict[str, object], key_type: str) -> str:
    key_schema = gsi["KeySchema"]
    assert isinstance(key_schema, list)
    return str(next(k["AttributeName"] for k in key_schema if k["KeyType"] == key_type))


class RawBucket(Construct):
    """Every accepted raw delivery, private, encrypted, TLS-only, expired after RAW_RETENTION_DAYS; and
    the raw archive: a Firehose stream per platform into it (``schema.raw_stream_kwargs``)."""

    def __init__(self, scope: Construct, id: str, *, config: StageConfig, names: ResourceNames) -> None:
        super().__init__(scope, id)
        self.bucket = private_bucket(
            self,
            bucket_name=names.raw_bucket(Aws.ACCOUNT_ID, Aws.REGION),
            config=config,
            expire_after=Duration.days(c.RAW_RETENTION_DAYS),
            who="Only the webhook role and the raw archive's Firehose roles write here and only the ingest role reads",
        )
        self.streams = {
            platform: self._archive_stream(platform, names.raw_stream(platform)) for platform in c.WEBHOOK_PLATFORMS
        }

    @property
    def stream_names(self) -> dict[str, str]:
        """Ingest's ``RAW_STREAMS``: platform -> stream name."""
        return {platform: str(stream.delivery_stream_name) for platform, stream in self.streams.items()}

    def _archive_stream(self, platform: str, name: str) -> firehose.CfnDeliveryStream:
        """One platform's stream, with a role of its own that may write only that platform's prefix."""
        construct_id = f"{platform.title()}Archive"
        role = self._archive_role(f"{construct_id}Role", platform, name)
        spec = schema.raw_stream_kwargs(name, platform, bucket_arn=self.bucket.bucket_arn, role_arn=role.role_arn)
        destination = spec["ExtendedS3DestinationConfiguration"]
        hints = destination["BufferingHints"]
        stream = firehose.CfnDeliveryStream(
            self,
            construct_id,
            delivery_stream_name=spec["DeliveryStreamName"],
            delivery_stream_type=spec["DeliveryStreamType"],
            delivery_stream_encryption_configuration_input=_Stream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type=spec["DeliveryStreamEncryptionConfigurationInput"]["KeyType"]
            ),
            extended_s3_destination_configuration=_Stream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=destination["BucketARN"],
                role_arn=destination["RoleARN"],
                prefix=destination["Prefix"],
                compression_format=destination["CompressionFormat"],
                buffering_hints=_Stream.BufferingHintsProperty(
                    size_in_m_bs=hints["SizeInMBs"], interval_in_seconds=hints["IntervalInSeconds"]
                ),
            ),
        )
        # Firehose checks its role when the stream is created: the policy must exist by then.
        stream.node.add_dependency(role)
        return stream

    def _archive_role(self, construct_id: str, platform: str, name: str) -> iam.Role:
        """What Firehose's S3 delivery calls (AWS's documented policy for an S3 destination), its objects
        limited to the platform's prefix; only this account's Firehose may assume it."""
        prefix = archive_prefix(platform)
        role = iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}}
            ),
            description=f"Firehose {name}: the {platform} raw archive's writes to the raw bucket",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{prefix}*")],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[self.bucket.bucket_arn],
            )
        )
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(cfn_bucket)}.Arn>/{prefix}*]",
            "Object actions need an object ARN pattern: this one is limited to one platform's prefix of the raw "
            "bucket, where its Firehose stream writes (raw/<platform>/<YYYY/MM/dd/HH>/<stream>-...gz).",
        )
        return role


class ReportsBucket(Construct):
    """The stored reports (``reports/...``, JSON and CSV partitioned by date for Athena): private,
    encrypted, TLS-only, kept as long as the stage keeps its data (no expiry: they are the record)."""

    def __init__(self, scope: Construct, id: str, *, config: StageConfig, names: ResourceNames) -> None:
        super().__init__(scope, id)
        self.bucket = private_bucket(
            self,
            bucket_name=names.reports_bucket(Aws.ACCOUNT_ID, Aws.REGION),
            config=config,
            expire_after=None,
            who="Only the report function writes here and only the agent API reads",
        )


def private_bucket(
    scope: Construct, *, bucket_name: str, config: StageConfig, expire_after: Duration | None, who: str
) -> s3.Bucket:
    """A bucket only roles may reach: SSE-S3, every public access blocked, owner-enforced, TLS only;
    its objects expire after ``expire_after`` (None: kept), unfinished uploads after a day."""
    bucket = s3.Bucket(
        scope,
        "Bucket",
        bucket_name=bucket_name,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        versioned=False,
        removal_policy=removal_policy(config),
        lifecycle_rules=[
            s3.LifecycleRule(
                id="raw-retention" if expire_after is not None else "abort-uploads",
                enabled=True,
                expiration=expire_after,
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        ],
    )
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        f"{who} (IAM, TLS-only bucket policy); S3 server access logs would be a second bucket of access "
        "metadata to secure and expire. Enable CloudTrail S3 data events on this bucket where an access "
        "audit is required.",
    )
    return bucket
