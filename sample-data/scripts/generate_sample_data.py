#!/usr/bin/env python3
"""Regenerate promptstudio's sample workspace (sample-data/): three small
datasets written for the project and their PromptSource templates.

Run from the repository root:
    python3 sample-data/scripts/generate_sample_data.py [--verify]

Needs Python 3.8+, pyarrow and PyYAML (`pip install pyarrow pyyaml`). With
--verify it also needs `datasets`, and checks that every Parquet file has
exactly the Arrow schema, Hugging Face features metadata and rows that
`datasets.Dataset.to_parquet` writes for the same data and features.

Everything is deterministic: the texts are below, the template ids are
fixed UUIDs, and running the script again rewrites identical files (the
Parquet footer names the pyarrow version that wrote it).
"""

import argparse
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# ---------------------------------------------------------------------------
# news_topics: short news stories with a ClassLabel topic.

TOPICS = ["World", "Sports", "Business", "Sci-Tech"]

NEWS = [
    # (topic, title, text)
    (0, "Coastal nations sign fisheries pact",
     "Delegates from six coastal nations signed a ten-year agreement on Tuesday that caps trawler catches "
     "and funds joint patrols in the northern fishing grounds."),
    (1, "Late goal sends Harbour City into cup final",
     "A stoppage-time header from defender Ana Ruiz sent Harbour City into the cup final with a 2-1 win "
     "over the defending champions."),
    (2, "Grocery chain to open 40 new stores",
     "The grocery chain Fresh & Co said it will open 40 new stores next year and hire 3,000 staff, betting "
     "that food prices have peaked."),
    (3, "Telescope spots water vapour on distant planet",
     "Astronomers using a space telescope detected water vapour in the atmosphere of a planet 120 light "
     "years away, though it is far too hot to host life as we know it."),
    (0, "Flood relief reaches river villages",
     "Aid convoys reached villages along the swollen Marava river after three days of rain cut road links, "
     "regional officials said, adding that schools would stay closed until Friday."),
    (1, "Veteran sprinter retires after 15 seasons",
     "Two-time relay world champion Kwame Mensah announced his retirement at 34, saying he wants to coach "
     "young athletes in his home town."),
    (2, "Central bank holds rates steady",
     "The central bank left its main interest rate at 4.25 percent, saying inflation is slowing but wage "
     "growth remains strong."),
    (3, "New app translates sign language in real time",
     "University researchers released a phone app that uses the camera to translate sign language into "
     "text in real time, with 92 percent accuracy in early tests."),
    (0, "Parliament delays vote on election law",
     "Lawmakers postponed a vote on the new election law after opposition parties walked out, arguing that "
     "the proposed district boundaries favour the ruling coalition."),
    (1, "Rain halts second test with hosts on top",
     "Heavy rain washed out the final session of the second test, leaving the hosts 180 runs ahead with "
     "seven wickets in hand."),
    (2, "Airline profits rise on busy summer",
     "Third-quarter profit at the regional airline rose 18 percent as planes flew fuller than before the "
     "pandemic and fuel costs eased."),
    (3, "Chipmaker unveils low-power processor",
     "A chipmaker unveiled a laptop processor that it says doubles battery life, built on a new "
     "3-nanometre manufacturing process."),
    (0, "Ceasefire holds in border province",
     "A ceasefire brokered by regional mediators held for a second week in the border province, allowing "
     "families displaced by the fighting to return to their farms."),
    (1, "Rookie wins mountain stage in thick fog",
     "A 21-year-old rookie won the first mountain stage of the tour, attacking on the final climb as fog "
     "cut visibility to a few metres."),
    (2, "Carmaker recalls 120,000 vehicles",
     "A carmaker is recalling 120,000 compact SUVs to replace a seat-belt sensor that can fail in cold "
     "weather, regulators said."),
    (3, "Study links sleep to memory in bees",
     "Bees deprived of sleep were worse at remembering where flowers were, a study found, suggesting that "
     "sleep helps insects consolidate memories."),
    (0, "Summit ends with climate finance promise",
     "Leaders at the southern hemisphere summit pledged to double climate adaptation funding by 2030, "
     "though they did not say how the money would be raised."),
    (1, "Club confirms coach will stay next season",
     "The club confirmed its head coach will stay for another season despite a run of five defeats, citing "
     "progress with its young squad."),
    (2, "Startup raises funds for battery recycling",
     "A battery recycling startup raised 55 million dollars to build its first plant, which will recover "
     "lithium and cobalt from old phones."),
    (3, "Rocket lands upright after record flight",
     "A reusable rocket booster landed upright on a barge after its 20th flight, a record for the "
     "company's fleet."),
    (0, "Capital's driverless metro line opens",
     "Thousands queued at dawn as the capital's first driverless metro line opened, linking the airport "
     "to the old town in 22 minutes."),
    (1, "Teenager draws with world number two",
     "A 13-year-old chess player held the world number two to a draw in 61 moves at the rapid tournament, "
     "the best result of her young career."),
    (2, "Shares slide as retailer cuts forecast",
     "Shares in the department store group fell 12 percent after it cut its full-year forecast, blaming a "
     "warm autumn for weak coat sales."),
    (3, "Hospital tests software to read chest scans",
     "A hospital began testing software that flags urgent findings on chest scans, aiming to cut the time "
     "patients wait for a radiologist's report."),
    (0, "Foreign ministers meet in São Vicente",
     "Foreign ministers from the Atlantic island states met in São Vicente to discuss shipping routes, "
     "visa rules and a shared weather-warning system."),
    (1, "Marathon record falls on a cool morning",
     "The women's course record at the city marathon fell by 48 seconds as cool weather and a flat route "
     "helped the leading pack."),
    (2, "Coffee prices hit two-year high",
     "Coffee futures climbed to a two-year high after dry weather damaged crops in key growing regions, "
     "traders said."),
    (3, "Browser update blocks tracking cookies",
     "The latest browser update blocks third-party tracking cookies by default and warns users when a site "
     "tries to fingerprint their device."),
    (0, "Refugee agency appeals for winter aid",
     "The refugee agency said it needs 40 million dollars to keep shelters heated through the winter, "
     "warning that current funds will run out in January."),
    (1, "Basketball finals go to game seven",
     "The basketball finals will be decided in a seventh game after the visitors rallied from 15 points "
     "down to win 98-94 on Thursday."),
    (2, "Union and port operator reach pay deal",
     "The dock workers' union and the port operator agreed a three-year pay deal, ending a strike that had "
     "delayed container ships for nine days."),
    (3, "Researchers breed heat-tolerant wheat",
     "Plant scientists bred a wheat variety that kept its yield in field trials at temperatures four "
     "degrees above normal."),
    # validation
    (0, "President names new cabinet",
     "The president named a new finance minister and a new health minister on Sunday, the third cabinet "
     "reshuffle in eighteen months."),
    (1, "Swimmer breaks national record twice in a day",
     "Swimmer Mei Tanaka broke the national 200-metre freestyle record in the morning heats and lowered it "
     "again in the evening final."),
    (2, "Bakery chain's café sales jump",
     "The bakery chain said sales at its café outlets jumped 9 percent, helped by a new breakfast menu and "
     "longer opening hours."),
    (3, "Satellite network to connect remote schools",
     "A satellite operator will connect 2,000 remote schools to the internet by the end of next year under "
     "a government contract."),
    (0, "Observers call local elections orderly",
     "International observers described Sunday's local elections as \"orderly and calm\" but noted long "
     "queues at polling stations in the northern districts."),
    (1, "Rugby side names squad for autumn series",
     "The national rugby side named four uncapped players in a 34-man squad for the autumn series, "
     "including a 19-year-old winger."),
    (2, "Merger creates country's largest insurer",
     "Two insurers agreed to merge in an all-share deal, creating the country's largest insurer with 11 "
     "million customers, pending regulatory approval."),
    (3, "Open-source model predicts protein shapes",
     "A research team released an open-source model that predicts protein shapes in minutes, and said the "
     "code and training data are free to use."),
]
NEWS_TRAIN = 32

# ---------------------------------------------------------------------------
# trivia_qa_mini: questions answered from a passage; answers is a Sequence
# of {text, answer_start}, empty for the two unanswerable questions.

TRIVIA = [
    # (question, context, answer texts)
    ("Which planet is known as the Red Planet?",
     "Mars is the fourth planet from the Sun. Iron oxide dust on its surface gives it a reddish colour, "
     "which is why it is often called the Red Planet.", ["Mars"]),
    ("What is the boiling point of water at sea level in degrees Celsius?",
     "At sea level, pure water boils at 100 degrees Celsius. At higher altitudes the air pressure is "
     "lower, so water boils at a lower temperature.", ["100 degrees Celsius", "100"]),
    ("Who wrote the play Romeo and Juliet?",
     "Romeo and Juliet is a tragedy written by William Shakespeare early in his career, about two young "
     "lovers from feuding families in Verona.", ["William Shakespeare", "Shakespeare"]),
    ("What gas do plants absorb from the air for photosynthesis?",
     "During photosynthesis, plants take in carbon dioxide from the air and water from the soil, and use "
     "the energy of sunlight to turn them into sugars and oxygen.", ["carbon dioxide"]),
    ("How many sides does a hexagon have?",
     "A hexagon is a polygon with six sides and six angles. The cells of a honeycomb are a well-known "
     "example of hexagons in nature.", ["six"]),
    ("What is the largest ocean on Earth?",
     "The Pacific Ocean is the largest and deepest of Earth's oceans, covering about a third of the "
     "planet's surface.", ["The Pacific Ocean", "Pacific"]),
    ("In which year did a person first walk on the Moon?",
     "In July 1969 the Apollo 11 mission landed on the Moon, and Neil Armstrong became the first person "
     "to walk on its surface.", ["1969"]),
    ("What is the chemical symbol for gold?",
     "Gold is a dense, soft metal. Its chemical symbol, Au, comes from the Latin word aurum.", ["Au"]),
    ("Which instrument usually has 88 keys?",
     "A standard modern piano has 88 keys: 52 white keys and 36 black keys.", ["piano"]),
    ("What is the capital city of Canada?",
     "Ottawa, in the province of Ontario, is the capital city of Canada. Toronto is the country's largest "
     "city.", ["Ottawa"]),
    ("Who painted the Mona Lisa?",
     "The Mona Lisa is a portrait painted by Leonardo da Vinci in the early sixteenth century. It hangs "
     "in the Louvre in Paris.", ["Leonardo da Vinci"]),
    ("What colour was the first bicycle?",
     "Early bicycles of the nineteenth century were made of wood and iron and were sometimes called "
     "boneshakers because of their rough ride.", []),
    ("What is the hardest natural substance?",
     "Diamond, a form of carbon, is the hardest natural substance known. It is used in cutting and "
     "drilling tools.", ["Diamond"]),
    ("How many players does each team have on the field in association football?",
     "In association football each team has eleven players on the field, one of whom is the goalkeeper.",
     ["eleven"]),
    ("Who invented the umbrella?",
     "Umbrellas have been used for thousands of years in many parts of the world, first as protection "
     "from the sun and later from the rain.", []),
    ("Which language has the most native speakers?",
     "Mandarin Chinese has more native speakers than any other language, while English is the language "
     "most widely learned as a second language.", ["Mandarin Chinese", "Mandarin"]),
    ("Which city is home to the Eiffel Tower?",
     "The Eiffel Tower stands on the Champ de Mars in Paris. It was built for the 1889 world's fair and "
     "is known locally as « la dame de fer ».", ["Paris"]),
    ("At what temperature in Fahrenheit does water freeze?",
     "Water freezes at 32 degrees Fahrenheit, which is 0 degrees Celsius.", ["32 degrees Fahrenheit", "32"]),
]

# ---------------------------------------------------------------------------
# product_reviews/kitchen: JSON Lines reviews with a star rating and a title.

REVIEWS = [
    # (product, title, review, stars)
    ("kettle", "Boils fast, switches off reliably",
     "Boils a full litre in under three minutes and the auto shut-off has never failed. The handle stays "
     "cool.", 5),
    ("kettle", "Lid broke after two months",
     "Worked fine at first, but the lid hinge snapped after two months of daily use and now it will not "
     "close.", 1),
    ("chef knife", "Sharp out of the box",
     "Cuts tomatoes and onions cleanly without any effort. Needs hand washing, but that is true of any "
     "good knife.", 5),
    ("chef knife", "Good blade, awkward handle",
     "The blade is sharp and holds its edge, but the handle is too thin for my hand and gets slippery "
     "when wet.", 3),
    ("toaster", "Uneven browning",
     "One side comes out pale and the other nearly burnt, whatever setting I use. Returned it.", 2),
    ("toaster", "Does the job",
     "Wide slots fit thick bread and bagels. It is a bit loud when it pops, but it toasts evenly.", 4),
    ("blender", "Smoothies in seconds",
     "Crushes ice and frozen fruit easily. Cleanup is quick if you run it with warm soapy water.", 5),
    ("blender", "Too loud for early mornings",
     "It blends well, but it is so loud that I cannot use it before the rest of the house is awake.", 3),
    ("blender", "Motor burned out",
     "After three weeks the motor started to smell and then stopped working entirely. Very "
     "disappointing.", 1),
    ("frying pan", "Non-stick that actually lasts",
     "Eggs slide right off even after six months, and it heats evenly on my induction hob.", 5),
    ("frying pan", "Coating started peeling",
     "The coating began to peel near the edge after a few weeks, even though I only used wooden spoons.",
     2),
    ("frying pan", "", "Decent pan for the price. Handle gets hot, so keep a cloth nearby.", 4),
    ("coffee grinder", "Consistent grind",
     "Gives an even grind for both espresso and French press. The container is small, so I refill it "
     "often.", 4),
    ("coffee grinder", "Messy but works",
     "Grounds fly everywhere when you open the lid because of static. The grind itself is fine.", 3),
    ("coffee grinder", "Stopped after a month",
     "The button stopped responding after a month. Customer service asked for a video and never replied.",
     1),
    ("rice cooker", "Perfect rice every time",
     "Perfect rice every time, and the keep-warm mode holds it for hours without drying it out.", 5),
    ("rice cooker", "Fine for white rice only",
     "White rice is great, but brown rice comes out undercooked unless I add extra water.", 3),
    ("rice cooker", "Inner pot dented",
     "The inner pot arrived dented and the rice sticks to the bottom where the dent is.", 2),
    ("measuring cups", "Clear markings",
     "The markings are engraved, so they will not wash off, and the set nests neatly in a drawer.", 4),
    ("measuring cups", "Handles bend",
     "Thin metal handles bend when you scoop brown sugar. Fine for liquids, not much else.", 2),
    ("stand mixer", "Worth every penny",
     "Kneads bread dough without straining and the bowl is big enough for a double batch of cookies.", 5),
    ("stand mixer", "Wobbles on the counter",
     "At high speed the whole machine walks across the counter. The results are good, but I have to hold "
     "it.", 3),
    ("stand mixer", "Heavy but solid", "Very heavy, so it lives on the counter, but it feels built to "
     "last and is quieter than my old one.", 4),
    ("salad spinner", "Leaves still wet",
     "Even after a minute of spinning the lettuce is still wet. The brake button is handy, though.", 1),
]

# ---------------------------------------------------------------------------
# Templates, written the way PromptSource writes them.


class Template(yaml.YAMLObject):
    """PromptSource's `!Template`: yaml.dump writes its attributes sorted."""

    yaml_tag = "!Template"

    def __init__(self, id, name, jinja, answer_choices=None, reference="", metadata=None):
        self.id = id
        self.name = name
        self.jinja = jinja
        self.reference = reference
        self.metadata = metadata
        self.answer_choices = answer_choices


class TemplateMetadata(yaml.YAMLObject):
    """PromptSource's `!TemplateMetadata` (Template.Metadata)."""

    yaml_tag = "!TemplateMetadata"

    def __init__(self, original_task, choices_in_prompt, metrics, languages=("en",)):
        self.original_task = original_task
        self.choices_in_prompt = choices_in_prompt
        self.metrics = list(metrics)
        self.languages = list(languages)


TOPIC_CHOICES = "World ||| Sports ||| Business ||| Science and Technology"

NEWS_TEMPLATES = [
    Template(
        "4043f55d-6c97-4a75-a067-9d604c109236", "classify_with_choices",
        "{{title}}\n{{text}}\n\nIs this story about {{answer_choices[:-1] | join(\", \")}} or "
        "{{answer_choices[-1]}}? ||| {{answer_choices[label]}}",
        answer_choices=TOPIC_CHOICES,
        metadata=TemplateMetadata(True, True, ["Accuracy"]),
    ),
    Template(
        "be9c9563-f28d-4e2a-8ff6-9d915091fdd3", "varied_instruction",
        "{{ [\"Which section of the paper does this story belong in?\", \"Pick the best topic for this "
        "story.\", \"What is this story about?\"] | choice }}\n\n{{text}} ||| {{answer_choices[label]}}",
        answer_choices=TOPIC_CHOICES,
        reference="The instruction is drawn at random, so the input depends on the seed.",
        metadata=TemplateMetadata(True, False, ["Accuracy"]),
    ),
    Template(
        "8dc3f1e0-7135-4b5c-b14e-22b3d24bf15a", "write_headline",
        "Write a headline for this news story:\n\n{{text}} ||| {{title}}",
        metadata=TemplateMetadata(False, None, ["BLEU", "ROUGE"]),
    ),
    Template(
        "09e10c4e-1a49-40c3-b99b-2fe0420d2c18", "is_it_sports",
        "{{text}}\n\nIs this a sports story? ||| {% if label == 1 %}{{answer_choices[1]}}{% else %}"
        "{{answer_choices[0]}}{% endif %}",
        answer_choices="No ||| Yes",
        metadata=TemplateMetadata(False, True, ["Accuracy"]),
    ),
]

TRIVIA_TEMPLATES = [
    Template(
        "07cfecda-9226-4b03-9091-a6113c3a907e", "answer_from_passage",
        "{{context}}\n\nQ: {{question}}\nA: ||| {{answers.text[0]}}",
        reference="The target is blank for questions the passage cannot answer.",
        metadata=TemplateMetadata(True, None, ["Squad"]),
    ),
    Template(
        "07b61970-e4bb-485b-a3ca-8e578d59b302", "is_answerable",
        "Can the question \"{{question}}\" be answered from this passage?\n\n{{context}} ||| "
        "{% if answers.text | length > 0 %}{{answer_choices[1]}}{% else %}{{answer_choices[0]}}{% endif %}",
        answer_choices="No ||| Yes",
        metadata=TemplateMetadata(False, False, ["Accuracy"]),
    ),
    Template(
        "6c1d35f9-3cef-4937-b7a7-2549d6ba4438", "numbered_quiz",
        "Question {{question_id}}: {{question}} ||| {{answers.text | join(\" or \") if answers.text else "
        "\"no answer\"}}",
        reference="question_id is the column question-id, renamed as PromptSource does.",
        metadata=TemplateMetadata(False, None, ["Trivia QA"]),
    ),
]

STAR_CHOICES = "1 star ||| 2 stars ||| 3 stars ||| 4 stars ||| 5 stars"

REVIEW_TEMPLATES = [
    Template(
        "279ae262-6107-4bf4-aea3-70f59667e0c9", "predict_stars",
        "Title: {{title}}\nReview: {{review}}\n\nHow many stars did the reviewer give? ||| "
        "{{answer_choices[stars - 1]}}",
        answer_choices=STAR_CHOICES,
        metadata=TemplateMetadata(True, False, ["Accuracy"]),
    ),
    Template(
        "ddfc2ad4-9e7c-4620-877e-d8d784593d7c", "positive_or_negative",
        "{{review}}\n\nIs this review positive or negative? ||| {% if stars >= 4 %}positive{% elif stars <= 2 "
        "%}negative{% else %}mixed{% endif %}",
        answer_choices="negative ||| positive",
        reference="Deliberately flawed: 3-star reviews get the target mixed, which is not an answer choice.",
        metadata=TemplateMetadata(False, True, ["Accuracy"]),
    ),
    Template(
        "8eb8f179-09e0-448a-b764-3028f11ddd09", "write_title",
        "Write a short title for this {{product}} review:\n\n{{review}} ||| {{title}}",
        reference="One review has no title, so its target is blank.",
        metadata=TemplateMetadata(False, None, ["BLEU", "ROUGE"]),
    ),
]

# ---------------------------------------------------------------------------
# Writers.

NEWS_FEATURES = {
    "title": {"dtype": "string", "_type": "Value"},
    "text": {"dtype": "string", "_type": "Value"},
    "label": {"names": TOPICS, "_type": "ClassLabel"},
}
NEWS_SCHEMA = pa.schema([("title", pa.string()), ("text", pa.string()), ("label", pa.int64())])

# A Sequence of a dict, as current `datasets` releases describe it: a dict of
# List features (datasets 2.x wrote {"feature": {...}, "_type": "Sequence"}
# for the same Arrow columns; promptstudio reads both).
TRIVIA_FEATURES = {
    "question-id": {"dtype": "string", "_type": "Value"},
    "question": {"dtype": "string", "_type": "Value"},
    "context": {"dtype": "string", "_type": "Value"},
    "answers": {
        "text": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"},
        "answer_start": {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "List"},
    },
}
TRIVIA_SCHEMA = pa.schema([
    ("question-id", pa.string()),
    ("question", pa.string()),
    ("context", pa.string()),
    ("answers", pa.struct([("text", pa.list_(pa.string())), ("answer_start", pa.list_(pa.int32()))])),
])


def with_features(schema, features):
    metadata = {"huggingface": json.dumps({"info": {"features": features}})}
    return schema.with_metadata(metadata)


def write_parquet(path, rows, schema, features):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=with_features(schema, features))
    pq.write_table(table, path)


def news_rows(stories):
    return [{"title": title, "text": text, "label": topic} for topic, title, text in stories]


def trivia_rows():
    rows = []
    for number, (question, context, answers) in enumerate(TRIVIA, start=1):
        starts = []
        for answer in answers:
            start = context.find(answer)
            if start < 0:
                sys.exit(f"trivia {number}: answer {answer!r} is not in its context")
            starts.append(start)
        rows.append({
            "question-id": f"tqm-{number:04d}",
            "question": question,
            "context": context,
            "answers": {"text": list(answers), "answer_start": starts},
        })
    return rows


def review_rows():
    return [
        {"review_id": f"K{number:03d}", "product": product, "title": title, "review": review, "stars": stars}
        for number, (product, title, review, stars) in enumerate(REVIEWS, start=1)
    ]


def write_jsonl(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_templates(path, dataset, templates, subset=None):
    """As PromptSource's DatasetTemplates.write_to_file: yaml.dump with defaults."""
    data = {"dataset": dataset, "templates": {template.id: template for template in templates}}
    if subset:
        data["subset"] = subset
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        yaml.dump(data, out)


def verify(parquet_files):
    """Compare each file with what `datasets` writes for the same rows."""
    import tempfile

    import datasets

    for path, rows, features in parquet_files:
        expected = os.path.join(tempfile.mkdtemp(), "expected.parquet")
        dataset = datasets.Dataset.from_list(rows, features=datasets.Features.from_dict(features))
        dataset.to_parquet(expected)
        ours, theirs = pq.read_table(path), pq.read_table(expected)
        if not ours.schema.equals(theirs.schema, check_metadata=True):
            sys.exit(f"{path}: schema differs from datasets':\n{ours.schema}\nvs\n{theirs.schema}")
        if ours.to_pylist() != theirs.to_pylist():
            sys.exit(f"{path}: rows differ from datasets'")
        print(f"verified against datasets {datasets.__version__}: {os.path.relpath(path, ROOT)}")


def main():
    parser = argparse.ArgumentParser(description="Regenerate sample-data/.")
    parser.add_argument("--verify", action="store_true", help="compare the Parquet files with datasets' output")
    args = parser.parse_args()

    data = os.path.join(ROOT, "data")
    templates = os.path.join(ROOT, "templates")
    parquet_files = [
        (os.path.join(data, "news_topics", "_", "train.parquet"), news_rows(NEWS[:NEWS_TRAIN]), NEWS_FEATURES),
        (os.path.join(data, "news_topics", "_", "validation.parquet"), news_rows(NEWS[NEWS_TRAIN:]),
         NEWS_FEATURES),
        (os.path.join(data, "trivia_qa_mini", "_", "validation.parquet"), trivia_rows(), TRIVIA_FEATURES),
    ]
    schemas = {id(NEWS_FEATURES): NEWS_SCHEMA, id(TRIVIA_FEATURES): TRIVIA_SCHEMA}
    for path, rows, features in parquet_files:
        write_parquet(path, rows, schemas[id(features)], features)
    write_jsonl(os.path.join(data, "product_reviews", "kitchen", "train.jsonl"), review_rows())

    write_templates(os.path.join(templates, "news_topics", "templates.yaml"), "news_topics", NEWS_TEMPLATES)
    write_templates(os.path.join(templates, "trivia_qa_mini", "templates.yaml"), "trivia_qa_mini",
                    TRIVIA_TEMPLATES)
    write_templates(os.path.join(templates, "product_reviews", "kitchen", "templates.yaml"), "product_reviews",
                    REVIEW_TEMPLATES, subset="kitchen")
    if args.verify:
        verify(parquet_files)


if __name__ == "__main__":
    main()
