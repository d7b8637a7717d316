"""The automated messages' world in memory: customers writing in through the real ingest path, the
brand's profiles, the configuration (SLA calendars, crises), the automated service and the real
outbound sender on the in-memory twins, its platform calls answered by a scripted fake."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from socialcare.automated.service import AutomatedDeps, AutomatedMessages
from socialcare.clock import ManualClock
from socialcare.ids import new_ulid
from socialcare.ingest.service import Ingestor
from socialcare.memory.automated import MemoryAutomatedStore
from socialcare.memory.case_store import MemoryCaseStore
from socialcare.memory.config_store import MemoryConfigStore
from socialcare.memory.outbound_store import MemoryOutboundStore
from socialcare.memory.table import MemoryTable
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.automation import Purpose, automated_entry, automated_entry_id
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.config import POLICY_SET_NAME, ConfigKind, StoredConfig
from socialcare.model.crisis import Crisis, HeldMessage
from socialcare.model.events import Channel, Customer, EventKind, ParsedDelivery
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.model.profile import BrandProfile, profile_from_document
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.outbound.clients import ReplyApiUrls, reply_clients
from socialcare.outbound.sender import OutboundSender
from socialcare.rules.crisis import crisis_config, declare

from tests.event_support import message_event
from tests.outbound_support import CREDENTIALS, PAGE, WA_PHONE, X_BRAND, FakeTransport

ACCOUNTS = {
    Channel.MESSENGER: PAGE,
    Channel.FACEBOOK_COMMENT: PAGE,
    Channel.WHATSAPP: WA_PHONE,
    Channel.X_DM: X_BRAND,
    Channel.X_POST: X_BRAND,
}
T0 = 1_767_258_000_000  # 2026-01-01T09:00:00Z, a Thursday (and a public holiday in Germany)
MINUTE = 60_000
HOUR = 3_600_000


class Profiles:
    """The brand profiles by account (the ``ProfileReader`` port)."""

    def __init__(self) -> None:
        self.stored: dict[str, BrandProfile] = {}

    def profile(self, account_id: str) -> BrandProfile | None:
        return self.stored.get(account_id)


@dataclass
class AutomationWorld:
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    table: MemoryTable = field(default_factory=MemoryTable)
    transport: FakeTransport = field(default_factory=FakeTransport)
    profiles: Profiles = field(default_factory=Profiles)
    config: MemoryConfigStore = field(default_factory=MemoryConfigStore)
    _ids: Any = field(default_factory=lambda: iter(range(1, 10**9)))

    def __post_init__(self) -> None:
        self.cases = MemoryCaseStore(self.table)
        self.outbound = MemoryOutboundStore(self.table)
        self.automated = MemoryAutomatedStore(self.table)
        self.ingestor = Ingestor(self.cases, clock=self.clock)
        self.sender = OutboundSender(
            cases=self.cases,
            outbound=self.outbound,
            clients=reply_clients(ReplyApiUrls("https://graph.test", "https://x.test", "https://telegram.test")),
            transport=self.transport,
            credentials=lambda: CREDENTIALS,
            clock=self.clock,
        )
        self.service = AutomatedMessages(
            AutomatedDeps(
                cases=self.cases,
                store=self.automated,
                profiles=self.profiles,
                config=self.config,
                deliver=lambda request: self.sender.deliver(request).outcome.value,
                clock=self.clock,
            )
        )

    # --- customers and cases ----------------------------------------------------------------------
    def writes(
        self, channel: Channel, user: str = "cust-1", text: str = "Where is my order?", *, at_ms: int | None = None
    ) -> Case:
        number = next(self._ids)
        event = message_event(
            channel,
            ACCOUNTS[channel],
            f"m{number}",
            self.clock.now_ms if at_ms is None else at_ms,
            kind=EventKind.PUBLIC_POST if channel.is_public else EventKind.MESSAGE,
            customer=Customer(user, name="Ana Lima"),
            text=text,
            conversation_ref=f"post-{number}" if channel.is_public else None,
        )
        self.ingestor.ingest(ParsedDelivery(channel.platform, (event,)))
        case = self.cases.current_case(event.account_id, [user]).case
        assert case is not None
        return case

    def change(self, case: Case, **fields: Any) -> Case:
        """The case as something else left it (triage, an agent)."""
        after = replace(case, **fields, version=case.version + 1)
        self.cases.save_case(case, after)
        return after

    def case(self, case_id: str) -> Case:
        return self.cases.get_case(case_id)

    def automated_entries(self, case_id: str) -> list[ThreadEntry]:
        return [e for e in self.cases.thread(case_id) if e.kind is EntryKind.OUTBOUND and "automated" in e.extra]

    # --- the brand's settings --------------------------------------------------------------------
    def profile(self, channel: Channel, **document: Any) -> BrandProfile:
        account = ACCOUNTS[channel]
        base = self.profiles.stored.get(account) or BrandProfile.default(account, "Acme")
        self.profiles.stored[account] = profile_from_document(account, document, base=base)
        return self.profiles.stored[account]

    def acknowledgement_on(self, channel: Channel, **settings: Any) -> BrandProfile:
        return self.profile(channel, acknowledgement={"enabled": True, **settings})

    def sla(self, calendar: dict[str, Any], policies: dict[str, Any]) -> None:
        for kind, name, document in (
            (ConfigKind.CALENDAR, str(calendar["name"]), calendar),
            (ConfigKind.SLA_POLICIES, POLICY_SET_NAME, {**policies, "version": 1}),
        ):
            self.config.save_config(StoredConfig(kind, name, 1, document, T0, "root"), self._audit(name))

    def declare(self, **document: Any) -> Crisis:
        now = self.clock.now_ms
        crisis = declare({"name": "Storm", **document}, crisis_id=new_ulid(now), by="root", now_ms=now)
        stored = StoredConfig(ConfigKind.CRISIS, crisis.crisis_id, 1, crisis_config(crisis), now, "root")
        self.config.save_config(stored, self._audit(crisis.crisis_id))
        return crisis

    def _audit(self, name: str) -> AuditRecord:
        now = self.clock.now_ms
        return AuditRecord(new_ulid(now), now, "root", "admin", AuditAction.CALENDAR_UPDATED, subject=name)

    # --- the tasks -------------------------------------------------------------------------------
    def acknowledge(self, case: Case) -> str:
        return self.service.acknowledge(CaseTask(TaskKind.ACKNOWLEDGE, case.case_id))

    def nudge(self, case: Case, pending_since: int | str) -> str:
        return self.service.nudge(CaseTask(TaskKind.NUDGE, case.case_id, {"pending_since": str(pending_since)}))


def held_acknowledgement(case: Case, crisis_id: str, *, now_ms: int) -> tuple[ThreadEntry, HeldMessage]:
    """An acknowledgement of ``case`` as the outbound function stores it when ``crisis_id`` holds it."""
    channel = next(iter(sorted(case.channels)))
    request = OutboundRequest(
        case_id=case.case_id,
        entry_id=automated_entry_id(Purpose.ACKNOWLEDGEMENT, case.created_at_ms),
        channel=channel,
        account_id=case.account_id,
        recipient_id=case.customer.user_id,
        mode=ReplyMode.PRIVATE,
        text="Thanks for your message! You can expect our reply today by 13:00 UTC.",
    )
    entry = automated_entry(request, Purpose.ACKNOWLEDGEMENT, now_ms=now_ms, held=True)
    held = HeldMessage(
        crisis_id, case.case_id, entry.entry_id, "acknowledgement", channel, case.account_id, request.text, now_ms
    )
    return entry, held
