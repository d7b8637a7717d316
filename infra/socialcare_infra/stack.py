"""One stage of socialcare as one CloudFormation stack: the components, wired where they meet."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from aws_cdk import CfnOutput, Environment, Stack, Tags
from aws_cdk.aws_lambda import ILayerVersion
from aws_cdk.aws_sqs import IQueue
from constructs import Construct
from socialcare import constants as c

from socialcare_infra import paths
from socialcare_infra.components.agent_api import AgentApi
from socialcare_infra.components.auth import AgentDirectory
from socialcare_infra.components.core_layer import CoreLayer
from socialcare_infra.components.events import EventBus
from socialcare_infra.components.functions import Functions, HttpTrigger
from socialcare_infra.components.monitoring import MonitoredApis, Monitoring
from socialcare_infra.components.notifications import Notifications
from socialcare_infra.components.permissions import CoreResources
from socialcare_infra.components.queues import Queues
from socialcare_infra.components.secrets import ApiSecret, PlatformSecret
from socialcare_infra.components.storage import CaseTable, RawBucket, ReportsBucket, removal_policy
from socialcare_infra.components.webhook_url import WebhookUrl
from socialcare_infra.components.workflows import (
    CASE_CLOCK,
    DEPARTMENT_ESCALATION,
    FOLLOW_UP,
    StateMachines,
    grant_case_clock,
    grant_department_escalation,
    grant_follow_up,
)
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames


@dataclass(frozen=True)
class Sources:
    """Where the deployed code comes from (tests point these at fixtures)."""

    layer_dir: Path
    functions_dir: Path = paths.FUNCTIONS_DIR
    chalice_dir: Path = paths.CHALICE_DIR
    state_machines_dir: Path = paths.STATE_MACHINES_DIR
    extra_substitutions: dict[str, str] = field(default_factory=dict)


class SocialCareStack(Stack):
    def __init__(
        self,
        scope: Construct,
        *,
        config: StageConfig,
        sources: Sources,
        env: Environment | None = None,
    ) -> None:
        names = ResourceNames(config.name)
        super().__init__(
            scope,
            names.stack,
            env=env,
            description=f"socialcare ({config.name}): social customer care on AWS serverless",
        )
        Tags.of(self).add("app", "socialcare")
        Tags.of(self).add("stage", config.name)
        self.config = config
        self.names = names

        data_removal = removal_policy(config)
        table = CaseTable(self, "Table", config=config, names=names)
        raw = RawBucket(self, "Raw", config=config, names=names)
        queues = Queues(self, "Queues", names=names)
        secret = PlatformSecret(self, "PlatformSecret", names=names, removal_policy=data_removal)
        api_secret = ApiSecret(self, "ApiSecret", names=names, removal_policy=data_removal)
        self.reports = ReportsBucket(self, "Reports", config=config, names=names)
        resources = CoreResources(
            table=table, raw=raw, queues=queues, platform_secret=secret, api_secret=api_secret, reports=self.reports
        )
        layer = CoreLayer(self, "CoreLayer", layer_dir=sources.layer_dir).layer
        # The machines before the functions: the clock function starts the case clock and the follow-up.
        self.events = EventBus(self, "Events", names=names)
        self.notifications = Notifications(
            self, "Notifications", config=config, names=names, bus=self.events.bus, removal_policy=data_removal
        )
        self.state_machines = self._state_machines(sources, resources=resources)
        machines = self.state_machines.machines
        resources = replace(
            resources,
            case_clock=machines.get(CASE_CLOCK),
            follow_up=machines.get(FOLLOW_UP),
            event_bus=self.events.bus,
            department_escalation=machines.get(DEPARTMENT_ESCALATION),
        )

        self.functions = Functions(
            self,
            "Functions",
            functions_dir=sources.functions_dir,
            layer=layer,
            resources=resources,
            config=config,
            names=names,
        )
        http_functions = self.functions.with_trigger(HttpTrigger)
        self.webhook_url = (
            WebhookUrl(self, "WebhookUrl", handler=http_functions[c.WEBHOOK_FUNCTION])
            if c.WEBHOOK_FUNCTION in http_functions
            else None
        )
        self.directory = AgentDirectory(self, "Agents", config=config, names=names, removal_policy=data_removal)
        self.agent_api = self._agent_api(sources, layer=layer, resources=resources)
        self._answer_links_point_at_the_api()
        self.monitoring = self._monitoring(resources)
        self._outputs(table=table, raw=raw, queues=queues, secret=secret, api_secret=api_secret)

    def _agent_api(self, sources: Sources, *, layer: ILayerVersion, resources: CoreResources) -> AgentApi | None:
        """The Chalice app, when its folder holds one."""
        if not (sources.chalice_dir / "app.py").is_file():
            return None
        return AgentApi(
            self,
            "AgentApi",
            source_dir=sources.chalice_dir,
            config=self.config,
            names=self.names,
            layer=layer,
            user_pool=self.directory.user_pool,
            resources=resources,
        )

    def _answer_links_point_at_the_api(self) -> None:
        """The outbound function signs department answer links to the agent API's public route."""
        outbound = self.functions.functions.get(c.OUTBOUND_FUNCTION)
        if outbound is not None and self.agent_api is not None:
            outbound.add_environment(c.ENV_ANSWER_LINK_BASE_URL, self.agent_api.url)

    def _state_machines(self, sources: Sources, *, resources: CoreResources) -> StateMachines:
        # Every definition in infra/state_machines/ is deployed with these substitutions; each
        # machine's grants are given here, where the machine meets what it calls.
        machines = StateMachines(
            self,
            "StateMachines",
            directory=sources.state_machines_dir,
            substitutions={
                "TableName": resources.table.table.table_name,
                "OutboundQueueUrl": resources.queues.outbound.queue.queue_url,
                "EventBusName": self.events.bus.event_bus_name,
                **sources.extra_substitutions,
            },
            config=self.config,
        )
        if CASE_CLOCK in machines.machines:
            grant_case_clock(machines.machines[CASE_CLOCK], table=resources.table.table, bus=self.events.bus)
        if FOLLOW_UP in machines.machines:
            grant_follow_up(
                machines.machines[FOLLOW_UP],
                table=resources.table.table,
                outbound_queue=resources.queues.outbound.queue,
            )
        if DEPARTMENT_ESCALATION in machines.machines:
            grant_department_escalation(
                machines.machines[DEPARTMENT_ESCALATION], queue=resources.queues.outbound.queue, bus=self.events.bus
            )
        return machines

    def _monitoring(self, resources: CoreResources) -> Monitoring:
        monitored_functions = {name: fn.function_name for name, fn in self.functions.functions.items()}
        if self.agent_api is not None:
            for logical_id in self.agent_api.function_ids:
                monitored_functions[f"agent-api-{logical_id.lower()}"] = self.agent_api.function_name(logical_id)
        return Monitoring(
            self,
            "Monitoring",
            config=self.config,
            names=self.names,
            functions=monitored_functions,
            queues={"inbound": resources.queues.inbound, "outbound": resources.queues.outbound},
            apis=MonitoredApis(
                webhook_function=self.webhook_url.function.function_name if self.webhook_url else None,
                agent_api_name=self.agent_api.api_name if self.agent_api else None,
                agent_api_stage=self.agent_api.api_stage if self.agent_api else "api",
            ),
            table=resources.table.table,
            raw_archive=resources.raw.stream_names,
            state_machines=self.state_machines.machines,
            stream_consumers=self._stream_consumers(),
            notification_failures=self.notifications.dlq,
            missed_runs={name: run.dead_letter_queue for name, run in self.functions.schedules.items()},
            surges=c.SURGE_FUNCTION in self.functions.functions,
        )

    def _stream_consumers(self) -> dict[str, tuple[str, IQueue]]:
        clock = self.functions.functions.get(c.CLOCK_FUNCTION)
        failures = self.functions.stream_failures
        if clock is None or failures is None:
            return {}
        return {c.CLOCK_FUNCTION: (clock.function_name, failures)}

    def _outputs(
        self, *, table: CaseTable, raw: RawBucket, queues: Queues, secret: PlatformSecret, api_secret: ApiSecret
    ) -> None:
        outputs = {
            "TableName": table.table.table_name,
            "RawBucketName": raw.bucket.bucket_name,
            "ReportsBucketName": self.reports.bucket.bucket_name,
            "InboundQueueUrl": queues.inbound.queue.queue_url,
            "InboundDlqUrl": queues.inbound.dlq.queue_url,
            "OutboundQueueUrl": queues.outbound.queue.queue_url,
            "OutboundDlqUrl": queues.outbound.dlq.queue_url,
            "PlatformSecretArn": secret.secret.secret_arn,
            "ApiSecretArn": api_secret.secret.secret_arn,
            "UserPoolId": self.directory.user_pool.user_pool_id,
            "UserPoolClientId": self.directory.client.user_pool_client_id,
            "AlarmTopicArn": self.monitoring.topic.topic_arn,
            "EventBusName": self.events.bus.event_bus_name,
            "NotificationTopicArn": self.notifications.topic.topic_arn,
            "NotificationDlqUrl": self.notifications.dlq.queue_url,
        }
        if self.notifications.chat_secret is not None:
            outputs["ChatWebhookSecretArn"] = self.notifications.chat_secret.secret_arn
        if self.webhook_url is not None:
            for platform in c.WEBHOOK_PLATFORMS:
                outputs[f"WebhookUrl{platform.title()}"] = self.webhook_url.url_for(platform)
        if self.agent_api is not None:
            outputs["AgentApiUrl"] = self.agent_api.url
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)
