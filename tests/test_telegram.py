"""Telegram, the trader's other dashboard: a Virtual-mode `freqtrade trade` bot with Telegram on
(token and chat id from the environment, as a user sets them) talks to a local stand-in for the
Bot API (`tests/telegram_stub.py`: a TLS proxy for api.telegram.org that parses every message as
Telegram does). freqtrade's own Telegram code runs unchanged.

What a trader sees: the start-up report, a forced Precision entry with its setup tag, a guard's
refusal as a strategy message Telegram accepts, the lock in `/locks`, the trade in `/status`,
after `/forceexit` the exit messages and the setup's closed trade in `/entries`, and the pair
cooldown's refusal of the next entry."""

from __future__ import annotations

import time

import pytest

from tests.helpers import (
    GUARDS_OFF,
    TEST_SECRETS,
    TradingBot,
    analysing,
    free_port,
    overlay_config,
    running_simulator,
    wait_until,
)
from tests.telegram_stub import EntityError, TelegramStub, check_html, check_markdown

REPLAY_START = "2024-02-05T10:00"  # a quiet hour of the synthetic market (as test_frequi)
TRADE_PAIR, LOCKED_PAIR = "SOL/USDT", "AVAX/USDT"  # both in sector L1 (user_data/config)
ENTRY_TAG = "precision:sniper"
TOKEN, CHAT_ID = "7000000001:botpy-test-token", "4242"
TELEGRAM_SECRETS = {"FREQTRADE__TELEGRAM__TOKEN": TOKEN, "FREQTRADE__TELEGRAM__CHAT_ID": CHAT_ID}


# ---- the stub parses as Telegram does (hand-built texts) -------------------------------------

@pytest.mark.parametrize("text", [
    "🛡 BOTPY guard `losing_streak: 3 losses in a row`",  # BOTPY's guard message
    "*Pair:* `SOL/USDT`\n*Enter Tag:* `precision:sniper`",  # freqtrade's entry message style
    "snake\\_case and a \\*star",  # escaped outside entities
    "```python\nx = a_b * c\n```",  # nothing parses inside pre
    "[FreqUI](http://127.0.0.1:8080/trade_view) and [plain]",
])
def test_markdown_telegram_accepts(text):
    check_markdown(text)


@pytest.mark.parametrize(("text", "offset"), [
    ("🛡 BOTPY guard losing_streak: 3 losses in a row", 23),  # the message before the fix
    ("*bold without end", 0),
    ("`code` and `more", 11),
    ("[link without end", 0),
])
def test_markdown_telegram_refuses_names_the_entity_start(text, offset):
    with pytest.raises(EntityError, match=f"starting at byte offset {offset}$"):
        check_markdown(text)


def test_html_only_telegrams_tags_closed_in_order():
    check_html("<pre>ID  Pair\n1   AVAX/USDT  sector: …</pre>")
    check_html('<b>Bold</b> <a href="https://example.org">link</a> &lt; <B>upper</B>')
    for text, error in (("<pre>table", "Can't find end tag corresponding to start tag \"pre\""),
                        ("<b><i>x</b></i>", "Unmatched end tag"),
                        ("<table>x</table>", "Unsupported start tag \"table\""),
                        ("1 < 2", "byte offset 2")):
        with pytest.raises(EntityError, match=error):
            check_html(text)


# ---- a Virtual bot with Telegram on ------------------------------------------------------------

@pytest.fixture(scope="module")
def telegram_bot(synthetic_market, tmp_path_factory, userdir):
    """A Virtual bot with Telegram on, polling the stub for commands. Two guards: the sector
    guard and the pair cooldown after every closed trade (its name has the "_" that Telegram's
    Markdown reads as an italic's start)."""
    tmp = tmp_path_factory.mktemp("telegram")
    port = free_port()
    with TelegramStub(tmp / "tls", TOKEN, CHAT_ID) as stub, running_simulator(
            synthetic_market, "--clock", "replay", "--start", REPLAY_START,
            log=tmp / "sim.log") as base:
        config = overlay_config(
            tmp, "virtual", base, pairs=[TRADE_PAIR, LOCKED_PAIR, "BTC/USDT"],
            guards=GUARDS_OFF | {"sector": {"enabled": True},
                                 "pair_cooldown": {"enabled": True, "losses_only": False}},
            db_url=f"sqlite:///{tmp / 'telegram.sqlite'}", force_entry_enable=True,
            api_server={"listen_port": port}, telegram={"enabled": True})
        bot = TradingBot(config, userdir, port, tmp / "bot.log", TRADE_PAIR,
                         secrets=TEST_SECRETS | TELEGRAM_SECRETS | stub.env())
        bot.stub = stub
        with analysing(bot):
            wait_until(stub.polling, 60, interval=0.5)
            yield bot
        assert stub.state.refused_hosts == []  # nothing else went through the proxy


def command(bot: TradingBot, text: str, predicate, timeout: float = 30):
    """Send `text` from the trader's chat; the bot's first answer for which `predicate` holds."""
    start = bot.stub.count()
    bot.stub.send_command(text)
    return bot.stub.wait_for(predicate, timeout, after=start)


def force_entry(bot: TradingBot, pair: str):
    return bot.post("forceenter", {"pair": pair, "entry_tag": ENTRY_TAG, "ordertype": "market"})


def holding_a_trade(bot: TradingBot) -> None:
    """The forced Precision trade in TRADE_PAIR (entered by the first test, or here when a test
    runs alone)."""
    if bot.open_trade() is None and not bot.get("status").json():
        assert force_entry(bot, TRADE_PAIR).ok
    wait_until(lambda: bot.open_trade() is not None, 120, interval=1)


def refused(bot: TradingBot) -> list[str]:
    return [f"{s.error}: {s.text}" for s in bot.stub.state.sent if s.error]


def test_start_up_and_a_forced_entry_reach_telegram_with_the_setup_tag(telegram_bot):
    stub = telegram_bot.stub
    stub.wait_for(lambda s: "running" in s.text.lower() and not s.error, 30)
    start = stub.count()
    answer = force_entry(telegram_bot, TRADE_PAIR)
    assert answer.ok, answer.text
    entry = stub.wait_for(lambda s: TRADE_PAIR in s.text and "Enter Tag" in s.text, 60,
                          after=start)
    assert ENTRY_TAG in entry.text and entry.error is None
    wait_until(lambda: telegram_bot.open_trade() is not None, 120, interval=1)
    assert refused(telegram_bot) == []


def test_a_guard_refusal_reaches_telegram_and_its_lock_is_in_locks(telegram_bot):
    stub = telegram_bot.stub
    holding_a_trade(telegram_bot)
    if time.time() % 60 > 40:  # the lock ends with the minute: room for /locks to see it
        time.sleep(60 - time.time() % 60 + 0.5)
    start = stub.count()
    assert not force_entry(telegram_bot, LOCKED_PAIR).ok
    # the lock exists once the refusal has answered; it ends with the minute: ask at once
    locks = command(telegram_bot, "/locks", lambda s: "Reason" in s.text)
    assert locks.error is None and locks.parse_mode == "HTML"
    assert LOCKED_PAIR in locks.text and "sector L1 already holds 1 open trade(s)" in locks.text
    message = stub.wait_for(lambda s: "BOTPY guard" in s.text, 60, after=start)
    assert message.error is None, message.error  # Telegram parsed it
    assert message.parse_mode == "Markdown"
    assert message.text == (f"\U0001f6e1 BOTPY guard `sector: {LOCKED_PAIR}: sector L1 already "
                            f"holds 1 open trade(s) ({TRADE_PAIR}; max 1)`")


def test_status_forceexit_entries_and_the_cooldown_after_the_exit(telegram_bot):
    holding_a_trade(telegram_bot)
    status = command(telegram_bot, "/status", lambda s: "*Trade ID:*" in s.text)
    assert TRADE_PAIR in status.text
    assert ENTRY_TAG in status.text and status.error is None
    trade_id = telegram_bot.open_trade()["trade_id"]
    exited = command(telegram_bot, f"/forceexit {trade_id}",
                     lambda s: "Exited" in s.text and TRADE_PAIR in s.text, timeout=60)
    assert "*Exit Reason:* `force_exit`" in exited.text and exited.error is None
    wait_until(lambda: telegram_bot.open_trade() is None
               and not telegram_bot.get("status").json(), 60, interval=1)
    # (the exit messages name the tag too, and may still be on their way: wait for the table)
    entries = command(telegram_bot, "/entries", lambda s: "Entry Tag Performance" in s.text)
    assert entries.error is None and f"{ENTRY_TAG}\t" in entries.text
    assert "(1)" in entries.text  # one closed trade of the setup
    # the pair's cooldown refuses a new entry; its message parses although the name has a "_"
    start = telegram_bot.stub.count()
    assert not force_entry(telegram_bot, TRADE_PAIR).ok
    cooldown = telegram_bot.stub.wait_for(lambda s: "BOTPY guard" in s.text, 60, after=start)
    assert cooldown.error is None, cooldown.error  # Telegram parsed it
    assert cooldown.text.startswith(f"\U0001f6e1 BOTPY guard `pair_cooldown: {TRADE_PAIR}: ")
    assert refused(telegram_bot) == []  # Telegram parsed every message the bot sent

