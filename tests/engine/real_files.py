"""Small faithful copies of the public files users download, written the way the originals are.

- `write_uci_sms`: the UCI SMS Spam Collection as distributed: a file named
  `SMSSpamCollection` (no extension), no header, `label<TAB>message` per line, LF line ends,
  messages with unbalanced `"`, `&lt;#&gt;` entities, emoji; by default the real size
  (5,574 lines: 4,827 ham, 747 spam).
- `write_imdb_csv`: the "IMDB Dataset.csv" of 50K reviews: `review,sentiment`, quoted reviews
  with `<br /><br />`, commas, doubled quotes, line breaks inside quotes, U+0085 and U+2028.
- `write_isot`: the ISOT Fake.csv / True.csv pair: `title,text,subject,date`, quoted texts with
  commas and line breaks, dates such as "December 31, 2017", some texts a single space.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

UCI_HAM = [
    "Go until jurong point, crazy.. Available only in bugis n great world la e buffet... Cine there got amore wat...",
    "Ok lar... Joking wif u oni...",
    "U dun say so early hor... U c already then say...",
    "Nah I don't think he goes to usf, he lives around here though",
    '"Hey! I\'m home',  # an unbalanced quote at the start of the message, as in the real file
    "Even my brother is not like to speak with me. They treat me like aids patent.",
    "I'm gonna be home soon and i don't want to talk about this stuff anymore tonight, k? I've cried enough today.",
    "Sorry, I'll call later in meeting &lt;#&gt; mins",
    '"Happy valentines day" I know its early but i have hundreds of handsomes and beauties to wish',
    "Tell my  bad character which u Dnt lik in me. I'll try to change in &lt;#&gt; Plz tell me",
    'Yup i\'m still having coffee wif my frens... My fren drives a lexus so i\'ll get him 2 ask u "',
    "Haha awesome, be there in a minute 😂👍",
    "As per your request 'Melle Melle (Oru Minnaminunginte Nurungu Vettam)' has been set as your callertune",
    "Lol your always so convincing.",
]
UCI_SPAM = [
    "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121 to receive entry question(std txt rate)T&C's apply 08452810075over18's",
    "FreeMsg Hey there darling it's been 3 week's now and no word back! I'd like some fun you up for it still? Tb ok! XxX std chgs to send, £1.50 to rcv",
    "WINNER!! As a valued network customer you have been selected to receivea £900 prize reward! To claim call 09061701461. Claim code KL341. Valid 12 hours only.",
    '"URGENT! You have won a 1 week FREE membership in our £100,000 Prize Jackpot! Txt the word: CLAIM to No: 81010',
    "Had your mobile 11 months or more? U R entitled to Update to the latest colour mobiles with camera for Free! Call The Mobile Update Co FREE on 08002986030",
]
UCI_HAM_LINES, UCI_SPAM_LINES = 4827, 747


def write_uci_sms(folder: Path, ham: int = UCI_HAM_LINES, spam: int = UCI_SPAM_LINES, name: str = "SMSSpamCollection") -> Path:
    """The UCI layout; the first line is the real first line (a ham message)."""
    labels = ["ham"] * (ham - 1) + ["spam"] * spam
    random.Random(0).shuffle(labels)
    labels.insert(0, "ham")
    counters = {"ham": 0, "spam": 0}
    lines = []
    for label in labels:
        pool = UCI_HAM if label == "ham" else UCI_SPAM
        lines.append(f"{label}\t{pool[counters[label] % len(pool)]}\n")
        counters[label] += 1
    path = folder / name
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path


IMDB_POS = [
    (
        "One of the other reviewers has mentioned that after watching just 1 Oz episode you'll be hooked. "
        "They are right, as this is exactly what happened with me.<br /><br />"
        "The first thing that struck me about Oz was its brutality and unflinching scenes of violence, which set in right from the word GO. "
        "Trust me, this is not a show for the faint hearted or timid. This show pulls no punches with regards to drugs, sex or violence. "
        "Its is hardcore, in the classic use of the word."
    ),
    (
        "A wonderful little production. <br /><br />"
        "The filming technique is very unassuming- very old-time-BBC fashion and gives a comforting, and sometimes discomforting, sense of realism to the entire piece. "
        'The actors are "extremely" well chosen.'
    ),
    "I thought this was a wonderful way to spend time on a too hot summer weekend,\nsitting in the air conditioned theater and watching a light-hearted comedy.\x85 The plot is simplistic, but the dialogue is witty.",
    "Petter Mattei's \"Love in the Time of Money\" is a visually stunning film to watch.\u2028Mr. Mattei offers us a vivid portrait about human relations.",
]
IMDB_NEG = [
    (
        "Basically there's a family where a little boy (Jake) thinks there's a zombie in his closet & his parents are fighting all the time.<br /><br />"
        "This movie is slower than a soap opera... and suddenly, Jake decides to become Rambo and kill the zombie."
    ),
    (
        "This show was an amazing, fresh & innovative idea in the 70's when it first aired. "
        "The first 7 or 8 years were brilliant, but things dropped off after that. "
        "By 1990, the show was not really funny anymore, and it's continued its decline further to the complete waste of time it is today.<br /><br />"
        'It\'s truly disgraceful how far this show has fallen. "Awful" is a kind word.'
    ),
    "Encouraged by the positive comments about this film on here I was looking forward to watching this film. Bad mistake.\r\nI've seen 950+ films and this is truly one of the worst of them.",
    "If you like original gut wrenching laughter you will like this movie. If you are young or old then you will love this movie, hell even my mom liked it.\u2029Great Camp!!! (not)",
]


def write_imdb_csv(folder: Path, per_class: int = 50, name: str = "IMDB Dataset.csv") -> Path:
    """`review,sentiment` written as pandas writes it: minimal quoting, doubled quotes, LF."""
    path = folder / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["review", "sentiment"])
        for i in range(per_class):
            writer.writerow([IMDB_POS[i % len(IMDB_POS)], "positive"])
            writer.writerow([IMDB_NEG[i % len(IMDB_NEG)], "negative"])
    return path


ISOT_FAKE = [
    ("Donald Trump Sends Out Embarrassing New Year’s Eve Message; This is Disturbing", (
        "Donald Trump just couldn t wish all Americans a Happy New Year and leave it at that.\n"
        "Instead, he had to give a shout out to his enemies, haters and  the very dishonest fake news media."
    ), "News", "December 31, 2017"),
    ("Drunk Bragging Trump Staffer Started Russian Collusion Investigation", (
        "House Intelligence Committee Chairman Devin Nunes is going to have a bad day. "
        "He s been under the assumption, like many of us, that the Christopher Steele-dossier was what prompted the Russia investigation."
    ), "News", "December 31, 2017"),
    ("BREAKING: GOP Chairman Grassley Has Had Enough, DEMANDS Trump Jr. Testimony", " ", "News", "December 30, 2017"),  # the real file has texts that are one space
]
ISOT_TRUE = [
    ("As U.S. budget fight looms, Republicans flip their fiscal script", (
        "WASHINGTON (Reuters) - The head of a conservative Republican faction in the U.S. "
        "Congress, who voted this month for a huge expansion of the national debt to pay for tax cuts, called himself a “fiscal conservative” on Sunday."
    ), "politicsNews", "December 31, 2017 "),
    ("U.S. military to accept transgender recruits on Monday: Pentagon", (
        "WASHINGTON (Reuters) - Transgender people will be allowed for the first time to enlist in the U.S. "
        "military starting on Monday as ordered by federal courts, the Pentagon said on Friday,\n"
        "after President Donald Trump’s administration decided not to appeal rulings."
    ), "politicsNews", "December 29, 2017 "),
]


def write_isot(folder: Path, fake: int = 30, true: int = 20) -> tuple[Path, Path]:
    """Fake.csv and True.csv with `title,text,subject,date`."""
    out = []
    for name, rows, n in (("Fake.csv", ISOT_FAKE, fake), ("True.csv", ISOT_TRUE, true)):
        path = folder / name
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["title", "text", "subject", "date"])
            for i in range(n):
                title, text, subject, date = rows[i % len(rows)]
                writer.writerow([f"{title} ({i})", text, subject, date])
        out.append(path)
    return out[0], out[1]
