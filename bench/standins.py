"""Stand-ins for the fake-news pair and the SMS spam file, for when the real ones cannot be had.

`python -m bench.standins DIR [--seed 0] [--scale 1.0]` writes into DIR, in the real files'
forms and at their real sizes (scale 1.0):

- `Fake.csv` (23,481 rows) and `True.csv` (21,417 rows), as the ISOT fake-news pair:
  header `title,text,subject,date`, texts quoted where they hold commas or line breaks.
  True titles are written in Reuters' sober house style: sentence case, "says"/"to"/"over",
  attributions after a colon ("...: Pentagon", "...: sources"), places and institutions.
  Fake titles are written the way the fake sites of the corpus write them: Title Case, one
  or two ALL-CAPS words, "WATCH:", "BREAKING:", "[VIDEO]", "(TWEETS)", loaded verbs
  ("DESTROYS", "Slams", "Humiliates") and exclamation marks. Both draw their people,
  parties and topics from one shared list, so the topic alone does not give the class away.
  Each fake title takes each marker with a probability, so some carry few of them; and 2 %
  of fake titles are written in the Reuters template outright (the real Fake.csv has a
  "politics" subset of sober headlines copied from the wires), so those are
  indistinguishable by construction and the title-only ceiling is a little under 1.0.
  The real files' hazards: True texts begin "WASHINGTON (Reuters) - ", True dates carry a
  trailing space ("December 31, 2017 "), some Fake texts are a single space, Fake dates come
  in two forms ("December 31, 2017" and "19-Feb-18"), and about 1 % of Fake rows repeat an
  earlier row (the real Fake.csv has duplicates).
- `SMSSpamCollection` (5,574 lines: 4,827 ham, 747 spam), as the UCI file: no header, no
  extension, `ham<TAB>message` per line, LF line ends; the first line is the real first line.
  Ham is texting talk from word lists ("ok lar", "u", "wat", "i'll call later", "&lt;#&gt;"
  in place of a number, as the real file has it); spam is the real file's kinds: prize and
  "FREE" offers with premium numbers (09xxxxxxxxx), 5-digit short codes, "£" amounts,
  "T&C's", "reply STOP"; and 10 % of spam is the chatty dating/"call me" kind: a few stock
  lines, or mostly a ham-style message from the same word lists with a number to call or
  text appended (a first version with six fixed chatty lines was learnt perfectly, 1.0000,
  which the real file is not). Ham borrows spam's words now and then ("free tonight?", "call me", "win").
  The real file's hazards: unbalanced `"` at the start or end of a message, `&lt;` `&gt;`
  `&amp;` entities, doubled spaces, emoji, and about 7 % of lines repeat an earlier message.

Everything is drawn from word lists with a seeded numpy generator: the same seed gives the
same files. The figures measured on these files are stand-in figures, not the real corpora's.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

FAKE_ROWS, TRUE_ROWS = 23_481, 21_417
SMS_HAM, SMS_SPAM = 4_827, 747
SMS_FIRST = "Go until jurong point, crazy.. Available only in bugis n great world la e buffet... Cine there got amore wat..."

# --- the fake-news pair ------------------------------------------------------------------

PEOPLE = ["Trump", "Clinton", "Obama", "Pelosi", "McConnell", "Ryan", "Sanders", "Comey", "Mueller", "Putin", "Kim Jong Un",
          "Merkel", "May", "Macron", "Erdogan", "Tillerson", "Sessions", "Pence", "Schumer", "Warren", "Cruz", "Rubio",
          "Kushner", "Bannon", "Spicer", "Priebus", "Flynn", "Haley", "Duterte", "Netanyahu", "Abe", "Xi"]
GROUPS = ["Republicans", "Democrats", "the Senate", "the House", "the White House", "the FBI", "the Pentagon",
          "Congress", "the Supreme Court", "the EU", "NATO", "the U.N.", "Russia", "China", "North Korea", "Iran",
          "the GOP", "lawmakers", "voters", "the media"]
TOPICS = ["tax bill", "healthcare", "Obamacare repeal", "travel ban", "immigration", "border wall", "Russia probe",
          "budget", "debt ceiling", "sanctions", "trade deal", "election", "nuclear talks", "refugees", "gun control",
          "climate deal", "Brexit", "Syria", "missile test", "DACA", "tariffs", "emails", "impeachment", "transgender ban"]
PLACES = ["WASHINGTON", "NEW YORK", "LONDON", "BEIJING", "MOSCOW", "BRUSSELS", "BERLIN", "TOKYO", "SEOUL", "PARIS",
          "ANKARA", "MEXICO CITY", "GENEVA", "TEHRAN", "BAGHDAD"]
SOURCE_TAGS = ["sources", "officials", "Pentagon", "White House", "State Department", "aide", "poll", "report",
               "spokesman", "lawmakers", "minister", "Reuters/Ipsos poll", "statement"]
TRUE_VERBS = ["says", "urges", "vows to", "seeks", "warns", "plans", "backs", "rejects", "weighs", "eyes", "pushes",
              "defends", "delays", "signals", "considers", "blocks", "approves", "criticizes"]
TRUE_LINKS = ["over", "amid", "after", "ahead of", "on", "in", "before", "despite"]
FAKE_VERBS = ["Destroys", "Slams", "Humiliates", "Rips", "Blasts", "Trashes", "Shreds", "Exposes", "Mocks", "Owns",
              "Goes Ballistic On", "Loses It Over", "Freaks Out Over", "Gets Schooled On", "Caught Lying About",
              "Just Admitted", "Melts Down Over", "Drops Bombshell On"]
FAKE_TAILS = ["And It's Hilarious", "This Is Disturbing", "You Won't Believe Why", "The Internet Explodes",
              "Twitter Goes Wild", "Liberals Are Furious", "It's Worse Than We Thought", "Must See", "Epic",
              "This Is Huge", "Hypocrite", "Conservatives Cheer", "Perfect Response", "Just Wow"]
FAKE_OPENERS = ["WATCH:", "BREAKING:", "JUST IN:", "BOOM!", "WOW!", "LOL!", "VIDEO:", "HILARIOUS:"]
FAKE_MARKS = ["[VIDEO]", "(VIDEO)", "(TWEETS)", "(DETAILS)", "(IMAGES)", "[Video]"]
FAKE_SUBJECTS = ["News", "politics", "left-news", "Government News", "US_News", "Middle-east"]
TRUE_SUBJECTS = ["politicsNews", "worldnews"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
FILLER = ["the", "said", "on", "in", "of", "to", "and", "a", "that", "for", "with", "was", "would", "has", "it",
          "statement", "administration", "officials", "week", "told", "people", "country", "government",
          "president", "year", "new", "also", "not", "but", "after"]
FAKE_TEXT_WORDS = ["just", "really", "totally", "insane", "disgusting", "lie", "liberal", "conservative", "tweet",
                   "video", "shocking", "apparently", "folks", "clearly", "pathetic", "hilarious"]


def _pick(rng: np.random.Generator, seq: list[str]) -> str:
    return seq[int(rng.integers(len(seq)))]


def _who(rng: np.random.Generator) -> str:
    return _pick(rng, PEOPLE) if rng.random() < 0.6 else _pick(rng, GROUPS)


def true_title(rng: np.random.Generator) -> str:
    """A Reuters-style headline: sentence case, sober verbs, an attribution now and then."""
    who, topic = _who(rng), _pick(rng, TOPICS)
    form = rng.integers(4)
    if form == 0:
        t = f"{who} {_pick(rng, TRUE_VERBS)} {topic} {_pick(rng, TRUE_LINKS)} {_pick(rng, TOPICS)} talks"
    elif form == 1:
        t = f"{_pick(rng, TRUE_LINKS).capitalize()} {topic} fight, {who} {_pick(rng, TRUE_VERBS)} {_pick(rng, GROUPS)}"
    elif form == 2:
        t = f"{who} {_pick(rng, TRUE_VERBS)} {_pick(rng, GROUPS)} on {topic}"
    else:
        t = f"{_pick(rng, GROUPS)} to vote on {topic} {_pick(rng, TRUE_LINKS)} {who} visit"
    if rng.random() < 0.35:
        t += f": {_pick(rng, SOURCE_TAGS)}"
    return t[0].upper() + t[1:]  # sentence case: names keep their capitals


def fake_title(rng: np.random.Generator) -> str:
    """A fake-site headline: Title Case, caps, openers, loaded verbs, exclamations, tags."""
    if rng.random() < 0.02:
        return true_title(rng)  # copied from the wires: no marker at all
    who, target, topic = _who(rng), _who(rng), _pick(rng, TOPICS)
    verb = _pick(rng, FAKE_VERBS)
    words = f"{who} {verb} {target} On {topic.title()}".split() if rng.random() < 0.5 else f"{who} {verb} {topic.title()}".split()
    if rng.random() < 0.6:  # one or two words in capitals
        for _ in range(1 + int(rng.random() < 0.4)):
            i = int(rng.integers(len(words)))
            words[i] = words[i].upper()
    t = " ".join(words)
    if rng.random() < 0.45:
        t += f"; {_pick(rng, FAKE_TAILS)}" if rng.random() < 0.5 else f" – {_pick(rng, FAKE_TAILS)}"
    if rng.random() < 0.3:
        t = f"{_pick(rng, FAKE_OPENERS)} {t}"
    if rng.random() < 0.3:
        t += "!" * int(rng.integers(1, 4))
    if rng.random() < 0.25:
        t += f" {_pick(rng, FAKE_MARKS)}"
    return t[0].upper() + t[1:]


def _sentences(rng: np.random.Generator, n: int, extra: list[str]) -> str:
    out = []
    for _ in range(n):
        k = int(rng.integers(8, 22))
        ws = [_pick(rng, FILLER) if rng.random() < 0.7 else _pick(rng, extra) for _ in range(k)]
        out.append(" ".join(ws).capitalize() + ".")
    return " ".join(out)


def _date(rng: np.random.Generator, short: bool = False) -> str:
    year, month, day = 2015 + int(rng.integers(3)), int(rng.integers(12)), 1 + int(rng.integers(28))
    if short:
        return f"{day}-{MONTHS[month][:3]}-{year % 100}"
    return f"{MONTHS[month]} {day}, {year}"


def isot_rows(fake: int = FAKE_ROWS, true: int = TRUE_ROWS, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """The rows (title, text, subject, date) of Fake.csv and True.csv."""
    rng = np.random.default_rng(seed)
    topic_words = [w for t in TOPICS for w in t.split()] + [p for p in PEOPLE]
    fakes: list[list[str]] = []
    for _ in range(fake):
        if fakes and rng.random() < 0.01:
            fakes.append(list(fakes[int(rng.integers(len(fakes)))]))  # the real file's duplicates
            continue
        text = " " if rng.random() < 0.03 else _sentences(rng, int(rng.integers(2, 6)), FAKE_TEXT_WORDS + topic_words)
        if rng.random() < 0.3:
            text = text.replace(". ", ".\n", 1)
        fakes.append([fake_title(rng), text, _pick(rng, FAKE_SUBJECTS), _date(rng, short=rng.random() < 0.02)])
    trues: list[list[str]] = []
    for _ in range(true):
        body = _sentences(rng, int(rng.integers(2, 6)), topic_words)
        text = f"{_pick(rng, PLACES)} (Reuters) - {body}"
        trues.append([true_title(rng), text, _pick(rng, TRUE_SUBJECTS), _date(rng) + " "])
    return fakes, trues


def write_isot(folder: str | Path, fake: int = FAKE_ROWS, true: int = TRUE_ROWS, seed: int = 0) -> tuple[Path, Path]:
    """Fake.csv and True.csv in folder, written as pandas writes them (minimal quoting, LF)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, rows in zip(("Fake.csv", "True.csv"), isot_rows(fake, true, seed), strict=True):
        path = folder / name
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["title", "text", "subject", "date"])
            w.writerows(rows)
        out.append(path)
    return out[0], out[1]


# --- the SMS spam file ---------------------------------------------------------------------

HAM_OPENERS = ["ok", "ok lar", "k", "hey", "hi", "yup", "nah", "haha", "lol", "sorry", "oh", "hmm", "dear", "babe",
               "good morning", "gud nite", "wat", "where r u", "aiyo", "ya"]
HAM_BODIES = ["i'll call u later", "i'm going home now", "wat time u finish", "can u pick me up", "see u there",
              "i'm in meeting", "dun say so early", "i'm on the way", "going to sleep", "just reached home",
              "let me know when u r free", "u coming for dinner", "i miss u", "love u", "take care", "tell me when",
              "he said he will come", "i thought u were busy", "my phone died", "i'll be there in &lt;#&gt; mins",
              "buy some bread pls", "how was ur day", "we r at the mall", "she lives near here",
              "wait for me ok", "the lecture is at &lt;#&gt;", "can't talk now", "watching tv", "u free tonight?",
              "call me when u get this", "did u win the match", "the food there is so good", "got ur msg",
              "no problem", "happy birthday", "i'll text u", "check ur email", "meet at the station",
              "i don't know", "which one u want", "thanks a lot", "don't forget", "it's raining here"]
HAM_TAILS = ["", "", "", ":)", ":-)", "...", "..", "!", "?", " la", " lor", " wat", " ;-)", " 😂", " 👍", " xx"]
SPAM_HOOKS = ["FREE entry in 2 a wkly comp to win", "WINNER!! As a valued network customer you have been selected to receive",
              "URGENT! You have won", "Congratulations ur awarded", "You have been selected to receive",
              "Your mobile number has won", "FreeMsg: claim your", "Had your mobile 11 months or more? U R entitled to",
              "PRIVATE! Your 2003 Account Statement shows", "IMPORTANT - You could be entitled to",
              "Txt NOW to get", "SIX chances to win", "Get the latest ringtones FREE:", "Dear Voucher Holder, claim"]
SPAM_PRIZES = ["a £{n} prize", "£{n} cash", "a FREE camera phone", "a 2 week FREE membership", "a Nokia mobile",
               "£{n} in vouchers", "a holiday for 2", "FREE tones", "a brand new video phone", "{n} free minutes",
               "the FA Cup final tkts"]
SPAM_ACTIONS = ["To claim call {tel}.", "Txt WIN to {code}.", "Call {tel} now!", "Reply YES to {code} to claim.",
                "Text CLAIM to {code}.", "Call FREE on {tel}.", "Txt the word: CLAIM to No: {code}",
                "Claim code {cc}. Valid 12 hours only."]
SPAM_TAILS = ["", "T&C's apply.", "18+ only.", "Std txt rate.", "£1.50/msg.", "To opt out reply STOP.", "150p/msg rcvd.",
              "Cust care {tel}.", "(std txt rate)T&C's apply 08452810075over18's", "Box {n} LS1 3AJ"]
CHATTY_SPAM = ["Hey babe, it's been a while, I'm lonely tonight, call me on {tel}",
               "Hey there darling, it's been 3 weeks and no word back! Fancy some fun? Txt {code}",
               "Someone has a crush on u! To find out who call {tel}"]
CHATTY_ENDS = ["call me on {tel}", "txt me on {code}", "ring me {tel} 60p/min", "reply CHAT to {code}", "call {tel} now"]


def _fill(rng: np.random.Generator, s: str) -> str:
    return s.format(n=int(rng.choice([100, 200, 250, 500, 900, 1000, 2000, 5000])),
                    tel="09" + "".join(str(d) for d in rng.integers(0, 10, size=9)),
                    code=str(int(rng.integers(10_000, 90_000))),
                    cc="".join(_pick(rng, list("ABCDEFGHKLMNPRSTWXY")) for _ in range(2)) + str(int(rng.integers(100, 999))))


def ham_message(rng: np.random.Generator) -> str:
    parts = [_pick(rng, HAM_OPENERS)] if rng.random() < 0.6 else []
    parts += [_pick(rng, HAM_BODIES) for _ in range(1 + int(rng.integers(2)))]
    m = ", ".join(parts) if rng.random() < 0.5 else ". ".join(p.capitalize() for p in parts)
    m += _pick(rng, HAM_TAILS)
    if rng.random() < 0.1:
        m = m.upper() if rng.random() < 0.2 else m.replace(" ", "  ", 1)
    if rng.random() < 0.05:
        m = m.replace("and", "&amp;") if "and" in m else m + " &amp; u?"
    return m


def spam_message(rng: np.random.Generator) -> str:
    if rng.random() < 0.10:  # the chatty kind: a few stock lines, or ham's own talk with a number to call
        if rng.random() < 0.3:
            return _fill(rng, _pick(rng, CHATTY_SPAM))
        return f"{ham_message(rng)} {_fill(rng, _pick(rng, CHATTY_ENDS))}"
    m = f"{_pick(rng, SPAM_HOOKS)} {_fill(rng, _pick(rng, SPAM_PRIZES))}! {_fill(rng, _pick(rng, SPAM_ACTIONS))}"
    tail = _fill(rng, _pick(rng, SPAM_TAILS))
    return f"{m} {tail}".strip()


def sms_lines(ham: int = SMS_HAM, spam: int = SMS_SPAM, seed: int = 0) -> list[tuple[str, str]]:
    """(label, message) in file order; the first is the real file's first (ham) line."""
    rng = np.random.default_rng(seed)
    labels = ["ham"] * (ham - 1) + ["spam"] * spam
    labels = [labels[i] for i in rng.permutation(len(labels))]
    out: list[tuple[str, str]] = [("ham", SMS_FIRST)]
    for label in labels:
        same = [m for lab, m in out[-400:] if lab == label]
        if same and rng.random() < 0.07:
            out.append((label, _pick(rng, same)))  # the real file repeats messages
            continue
        m = ham_message(rng) if label == "ham" else spam_message(rng)
        r = rng.random()
        if r < 0.01:
            m = '"' + m  # an unbalanced quote, as in the real file
        elif r < 0.015:
            m = m + ' "'
        out.append((label, m))
    return out


def write_sms(folder: str | Path, ham: int = SMS_HAM, spam: int = SMS_SPAM, seed: int = 0, name: str = "SMSSpamCollection") -> Path:
    """The UCI file: no header, no extension, `label<TAB>message`, LF."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(f"{lab}\t{m}\n" for lab, m in sms_lines(ham, spam, seed)), encoding="utf-8", newline="")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder to write Fake.csv, True.csv and SMSSpamCollection into")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the real sizes to write (1.0: the real sizes)")
    a = ap.parse_args(argv)
    s = a.scale
    for p in write_isot(a.out, max(2, round(FAKE_ROWS * s)), max(2, round(TRUE_ROWS * s)), a.seed):
        print(p)
    print(write_sms(a.out, max(2, round(SMS_HAM * s)), max(1, round(SMS_SPAM * s)), a.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
