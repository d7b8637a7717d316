"""Who the demo speaks for: the customers (their ids on each platform) and the brand's care team."""

from __future__ import annotations

from dataclasses import dataclass

from socialcare_local.sandbox import payloads as p

# --- customers --------------------------------------------------------------------------------------
MAYA_PSID = "6014459241234567"  # Messenger
PRIYA = ("10160000000000001", "Priya Shah")  # a comment on the Page's post
PRIYA_COMMENT = "1001_2001"
OLA_IGSID = "17841499990000001"  # Instagram DM
TOM = ("17841499990000002", "tom.k")  # Instagram comment
LUCIA = ("34612345678", "Lucía Fernández")  # WhatsApp
ANA = p.x_user("2244994945", "ana_runs", "Ana Ruiz")  # X post
DMITRI = p.x_user("2244994946", "dmitri_k", "Dmitri Kowalski")  # X DM
LENA = p.telegram_user(5511223344, "Lena", last_name="Vogel", username="lenav")  # Telegram

JOE = p.x_user("3300000000000000001", "joe_average", "Joe Average")
JOE_TWEET = "1890000000000000001"
JOE_DM = "1890000000000000003"
SHEENA = ("34600111222", "Sheena Nelson")
SHEENA_WAMID = "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTk3RjE2RTQ4QzA0QkQ1RjY5NQA="
BATCH_PSIDS = tuple(f"60144592400000{n:02d}" for n in range(5))
BATCH_SIZE = 50
MALLORY_PSID = "6014459249999999"
MALLORY_MID = "m_demo_forged_1"
OMAR_IGSID = "17841499990000077"
OMAR_TEXTS = ("Hi!", "I ordered the blue backpack", "but a red one arrived", "can you swap it?")
KOFI = ("233201234567", "Kofi Mensah")  # WhatsApp, whose message arrives a day late
KOFI_WAMID = "wamid.DEMO_KOFI_1"
KOFI_DELAY_HOURS = 26
# Triage (demo/triage.py): a journalist on the demo's list, a bereaved customer, a troll on the blocked list.
NINA = p.x_user("2244994947", "nina_reports", "Nina Patel")
NINA_TWEET = "1890000000000000011"
RUTH = ("447700900456", "Ruth Adeyemi")  # WhatsApp
RUTH_WAMID = "wamid.DEMO_RUTH_1"
TROLL = p.x_user("2244994948", "rage_quit_99", "rage quit")
TROLL_TWEET = "1890000000000000021"


# --- the care team (none shares a first name with a customer) ----------------------------------------
@dataclass(frozen=True)
class TeamMember:
    agent_id: str
    name: str
    role: str = "agent"
    teams: tuple[str, ...] = ("care",)


ALICE = TeamMember("alice", "Alice Smith")
BOB = TeamMember("bob", "Bob Jones")
CARMEN = TeamMember("carmen", "Carmen Ortiz", role="lead")
FELIX = TeamMember("felix", "Felix Wagner", teams=("billing",))  # another team's agent
GRACE = TeamMember("grace", "Grace Lindqvist", role="lead", teams=("pr", "trained-care"))  # press and trained staff
CARE_TEAM = (ALICE, BOB, CARMEN, FELIX, GRACE)
