"""Physical names of the deployed resources: the shared logical names, suffixed with the stage.

The same convention as the local stack (``socialcare_local.emulator.aws.resource_names``), so an operator
finds ``socialcare-inbound-prod`` in AWS where the local stack has ``socialcare-inbound-local``.
S3 bucket names are global: the raw bucket's name also carries the account and region.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare import constants as c
from socialcare.aws import schema


@dataclass(frozen=True)
class ResourceNames:
    stage: str

    @property
    def stack(self) -> str:
        return f"socialcare-{self.stage}"

    @property
    def table(self) -> str:
        return f"{c.TABLE_LOGICAL_NAME}-{self.stage}"

    @property
    def inbound_queue(self) -> str:
        return f"{c.INBOUND_QUEUE_LOGICAL_NAME}-{self.stage}"

    @property
    def inbound_dlq(self) -> str:
        return f"{c.INBOUND_DLQ_LOGICAL_NAME}-{self.stage}"

    @property
    def outbound_queue(self) -> str:
        return f"{c.OUTBOUND_QUEUE_LOGICAL_NAME}-{self.stage}"

    @property
    def outbound_dlq(self) -> str:
        return f"{c.OUTBOUND_DLQ_LOGICAL_NAME}-{self.stage}"

    def raw_bucket(self, account: str, region: str) -> str:
        return f"{c.RAW_BUCKET_LOGICAL_NAME}-{self.stage}-{account}-{region}"

    def raw_stream(self, platform: str) -> str:
        """One platform's raw archive (a Firehose delivery stream into the raw bucket)."""
        return schema.raw_stream_name(platform, self.stage)

    def reports_bucket(self, account: str, region: str) -> str:
        return f"{c.REPORTS_BUCKET_LOGICAL_NAME}-{self.stage}-{account}-{region}"

    @property
    def platform_secret(self) -> str:
        return f"{c.PLATFORM_SECRET_NAME}/{self.stage}"

    @property
    def api_secret(self) -> str:
        return f"{c.API_SECRET_NAME}/{self.stage}"

    @property
    def clock_failures(self) -> str:
        """The clock function's on-failure queue: stream records it gave up on."""
        return f"socialcare-clock-failures-{self.stage}"

    def function(self, name: str) -> str:
        return f"socialcare-{name}-{self.stage}"

    def missed_runs(self, name: str) -> str:
        """A scheduled function's dead-letter queue: the runs its schedule could not make."""
        return f"socialcare-{name}-missed-runs-{self.stage}"

    @property
    def agent_api(self) -> str:
        return f"{c.AGENT_API_APP_NAME}-{self.stage}"

    @property
    def user_pool(self) -> str:
        return f"socialcare-agents-{self.stage}"

    @property
    def event_bus(self) -> str:
        return f"socialcare-events-{self.stage}"

    @property
    def alarm_topic(self) -> str:
        return f"socialcare-alarms-{self.stage}"

    @property
    def notification_topic(self) -> str:
        return f"socialcare-notifications-{self.stage}"

    @property
    def notification_dlq(self) -> str:
        """Notifications EventBridge could not deliver to the topic or the chat webhook."""
        return f"socialcare-notifications-dlq-{self.stage}"

    @property
    def chat_connection(self) -> str:
        return f"socialcare-chat-{self.stage}"

    @property
    def chat_webhook_secret(self) -> str:
        return f"socialcare/chat-webhook/{self.stage}"

    @property
    def dashboard(self) -> str:
        """The operations dashboard (functions, queues, APIs, table)."""
        return f"socialcare-{self.stage}"

    def metrics_dashboard(self, key: str) -> str:
        """A dashboard of ``socialcare_infra.dashboards`` (``care-floor``, ``accountability``)."""
        return f"socialcare-{key}-{self.stage}"
