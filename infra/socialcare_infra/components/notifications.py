"""Notifications: the project's bus routed to people.

The case clock announces ``SLA warning`` / ``SLA breached`` / ``SLA escalated`` and ingest announces
``Sensitive case`` (source ``socialcare``). Rules on the bus turn each into a short line (ids, team,
owner, due time; the events carry no customer text and the lines add none) sent to the notifications
topic (e-mail and SMS subscriptions from the stage's settings) and, where the stage names one, to a
chat webhook through an EventBridge API destination. What EventBridge cannot deliver after its
retries lands in a dead-letter queue whose depth raises an alarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk.aws_events import EventField
from constructs import Construct
from socialcare.model.department_escalation import (
    DEPARTMENT_ANSWERED,
    DEPARTMENT_REQUEST,
    MANAGER_ESCALATION,
    UPDATE_REMINDER,
)
from socialcare.model.escalation import DETAIL_TYPES, EVENT_SOURCE
from socialcare.model.notices import SENSITIVE_CASE, SURGE_DETECTED

from socialcare_infra.components.queues import dead_letter_queue
from socialcare_infra.components.secrets import generated_key_secret
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames

SLA_DETAIL_TYPES = tuple(DETAIL_TYPES.values())


@dataclass(frozen=True)
class Route:
    """One rule on the bus: the detail-types it matches and the line it sends. In ``line``,
    ``{detail-type}`` is the event's detail-type and ``{name}`` a field of its detail (ids, team,
    times: the events carry no customer text and the lines add none)."""

    construct_id: str
    description: str
    detail_types: tuple[str, ...]
    line: str


ROUTES: tuple[Route, ...] = (
    Route(
        "SlaRule",
        "The case clock's escalations (SLA warning, breached, escalated) to the notifications",
        SLA_DETAIL_TYPES,
        "{detail-type} ({tier}) for case {case_id}, team {team}, owner {owner}, due {due_at}",
    ),
    Route(
        "SensitiveCaseRule",
        "Sensitive cases found by ingest to the notifications",
        (SENSITIVE_CASE,),
        "sensitive case {case_id}, team {team}, priority {priority}, on {platform}",
    ),
    # The department's request carries its answer link (a credential for that one answer): it goes
    # only to the topic and chat the stage names, as the department's contacts are told.
    Route(
        "DepartmentRequestRule",
        "A department asked to answer a case's question (with its one-time answer link) to the notifications",
        (DEPARTMENT_REQUEST,),
        "{department} is asked about case {case_id} (round {round}): {question} Answer here: {link} "
        "(until {link_expires_at})",
    ),
    Route(
        "DepartmentFollowUpRule",
        "A department escalation's reminders, its manager's escalation and its answer to the notifications",
        (UPDATE_REMINDER, MANAGER_ESCALATION, DEPARTMENT_ANSWERED),
        "{detail-type}: case {case_id}, {department}, escalation {escalation_id}, agent {agent}",
    ),
    Route(
        "SurgeRule",
        "A surge of messages on a topic or brand account to the notifications",
        (SURGE_DETECTED,),
        "surge of {scope} {topic}{account_id}: {count} messages against a baseline of {baseline} "
        "(window from {window_start})",
    ),
)
# The chat service's key travels in this header; its value is the secret's ``api_key`` field.
CHAT_API_KEY_HEADER = "x-api-key"
CHAT_API_KEY_FIELD = "api_key"
RETRY_ATTEMPTS = 8
MAX_EVENT_AGE = Duration.hours(6)


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        names: ResourceNames,
        bus: events.IEventBus,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(
            self, "Topic", topic_name=names.notification_topic,
            display_name=f"socialcare {config.name} notifications", enforce_ssl=True,
        )  # fmt: skip
        # No KMS key, as the alarm topic: the lines carry ids, team and owner names, never customer
        # text, and EventBridge cannot publish to a topic under the AWS-managed SNS key.
        if config.notification_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.notification_email))
        if config.notification_sms:
            self.topic.add_subscription(subscriptions.SmsSubscription(config.notification_sms))

        self.dlq = dead_letter_queue(
            self,
            "Dlq",
            queue_name=names.notification_dlq,
            acknowledged_as=(
                "This queue is itself the dead-letter queue of the notification rules' targets: it keeps the events "
                "EventBridge could not deliver to the topic or the chat webhook, and its depth raises an alarm."
            ),
        )

        self.rules = {
            route.construct_id: events.Rule(
                self,
                route.construct_id,
                event_bus=bus,
                description=route.description,
                event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=list(route.detail_types)),
            )
            for route in ROUTES
        }
        # EventBridge publishes with this role rather than through a topic policy open to the service:
        # only these rules' targets can publish.
        self.publish_role = iam.Role(
            self, "PublishRole", assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description=f"socialcare {config.name}: the notification rules publish to the notifications topic",
        )  # fmt: skip
        self.topic.grant_publish(self.publish_role)
        lines = {self.rules[route.construct_id]: line_text(config.name, route.line) for route in ROUTES}
        for rule, line in lines.items():
            rule.add_target(
                targets.SnsTopic(
                    self.topic,
                    message=events.RuleTargetInput.from_text(line),
                    authorize_using_role=True,
                    role=self.publish_role,
                    dead_letter_queue=self.dlq,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                )
            )

        self.chat_secret: secretsmanager.Secret | None = None
        self.chat_destination: events.ApiDestination | None = None
        if config.chat_webhook_url:
            self._chat(config=config, names=names, removal_policy=removal_policy, lines=lines)

    def _chat(
        self,
        *,
        config: StageConfig,
        names: ResourceNames,
        removal_policy: RemovalPolicy,
        lines: dict[events.Rule, str],
    ) -> None:
        # A generated placeholder, never a literal: the operator puts the chat service's key in the
        # api_key field. The connection copies the value when it is created or updated.
        self.chat_secret = generated_key_secret(
            self,
            "ChatSecret",
            secret_name=names.chat_webhook_secret,
            description="socialcare chat webhook: JSON api_key, the value of the x-api-key header (operator fills)",
            key_field=CHAT_API_KEY_FIELD,
            removal_policy=removal_policy,
            not_rotated_because=(
                "The value is a key issued by the chat service in its own console; no rotation function can mint it. "
                "The operator rotates it there, puts the new api_key and updates the EventBridge connection."
            ),
        )
        connection = events.Connection(
            self,
            "ChatConnection",
            connection_name=names.chat_connection,
            description=f"socialcare {config.name} chat webhook (API key header from {names.chat_webhook_secret})",
            authorization=events.Authorization.api_key(
                CHAT_API_KEY_HEADER,
                SecretValue.secrets_manager(self.chat_secret.secret_arn, json_field=CHAT_API_KEY_FIELD),
            ),
        )
        self.chat_destination = events.ApiDestination(
            self,
            "ChatDestination",
            connection=connection,
            endpoint=config.chat_webhook_url,
            http_method=events.HttpMethod.POST,
            description=f"socialcare {config.name} notifications to the chat webhook",
            rate_limit_per_second=1,
        )
        for rule, line in lines.items():
            rule.add_target(
                targets.ApiDestination(
                    self.chat_destination,
                    event=events.RuleTargetInput.from_object({"text": line}),
                    dead_letter_queue=self.dlq,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                )
            )


def line_text(stage: str, template: str) -> str:
    """``template`` with each ``{name}`` as the EventBridge input-transformer field of the event."""

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(EventField.from_path("$.detail-type" if name == "detail-type" else f"$.detail.{name}"))

    return f"socialcare {stage}: " + _FIELD.sub(field, template)


_FIELD = re.compile(r"\{([a-z_-]+)\}")
