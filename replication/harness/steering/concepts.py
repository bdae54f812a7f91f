"""Concepts (positive and negative example texts) and the prompts steering is tested on.

Two sources:

- ``concepts``: a small curated list written for this project (:data:`CURATED`): each concept
  has a description used by the prompting baselines, positive sentences, prompts that bring
  the concept up naturally (for suppression), and shares one list of negative sentences.
- ``sae_probes``: a binary sae-probes dataset is one concept: target-1 texts are positives,
  target-0 texts negatives; suppression prompts ask to continue the opening words of a
  positive text that no method saw.

Steering toward a concept uses neutral instructions (:func:`neutral_prompts`), shared by
all concepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from replication.harness.errors import DataError


@dataclass
class Concept:
    name: str
    description: str
    positives: list[str]
    negatives: list[str]
    #: suppression prompts that bring the concept up, and for each the same request without
    #: the concept (what relevance is scored against, so avoiding the concept is not punished)
    elicit: list[str] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)


NEGATIVES = [
    "The meeting moved to Thursday because two people were travelling.",
    "Please remember to renew the parking permit before the end of the month.",
    "The spreadsheet has a column for dates and another for totals.",
    "He fixed the squeaky hinge with a drop of oil.",
    "Our train was twenty minutes late, so we missed the first talk.",
    "The library extended its opening hours during exam season.",
    "She painted the fence white and left it to dry overnight.",
    "The printer on the second floor keeps jamming.",
    "A new bus route connects the station with the hospital.",
    "I need to return these shoes; they are half a size too small.",
    "The committee approved the budget with one abstention.",
    "They replaced the old windows to keep the house warmer.",
    "The report is due on Monday, and the figures still need checking.",
    "My neighbour lent me a ladder to clean the gutters.",
    "The software update changed where the settings menu lives.",
    "We counted the chairs twice before the guests arrived.",
    "The shop around the corner sells batteries and light bulbs.",
    "Her handwriting is neat but very small.",
    "The lecture covered tax rules for small businesses.",
    "He set an alarm for six and went to bed early.",
    "The carpet in the hallway needs a deep clean.",
    "I forgot my umbrella at the dentist's office.",
    "The form asks for two references and a copy of your passport.",
    "The elevator was out of order, so everyone took the stairs.",
    "They signed the lease for a small flat near the park.",
    "The invoice lists three items and a delivery charge.",
    "Our team switched to a new calendar app last week.",
    "The bicycle needs a new chain and a set of brake pads.",
    "A strong coffee helped me finish the crossword.",
    "The town council will vote on the new speed limit.",
    "She keeps her keys in a bowl by the front door.",
    "The password must contain at least twelve characters.",
    "We rearranged the furniture to make room for a desk.",
    "The warranty covers repairs for two years.",
    "He folded the laundry while listening to the radio.",
    "The museum is closed on Mondays.",
]

CURATED: dict[str, Concept] = {
    "ocean": Concept(
        name="ocean",
        description="the ocean and the sea",
        positives=[
            "Waves rolled onto the beach and pulled the sand back into the sea.",
            "The tide came in fast and covered the rock pools.",
            "Salt spray stung our faces as the boat crossed the open water.",
            "Whales surfaced far from shore, blowing mist into the air.",
            "The coral reef was full of bright fish and swaying sea fans.",
            "Sailors watched the horizon for signs of a storm at sea.",
            "Deep below the surface, the ocean is cold and completely dark.",
            "Seagulls circled over the harbour as the fishing boats returned.",
            "We swam out past the breakers where the water turned deep blue.",
            "The lighthouse warned ships away from the rocky coast.",
            "A jellyfish drifted with the current just under the waves.",
            "The sea was calm at dawn, flat as glass to the horizon.",
            "Divers explored a shipwreck covered in barnacles on the seabed.",
            "Surfers waited on their boards for the next big swell.",
            "The smell of seaweed and salt hung over the shoreline.",
            "Ocean currents carry warm water from the tropics northward.",
            "Dolphins raced alongside the ferry in the open sea.",
            "At low tide, crabs scuttled between the wet stones on the beach.",
        ],
        negatives=NEGATIVES,
    ),
    "cooking": Concept(
        name="cooking",
        description="cooking and food",
        positives=[
            "Chop the onions finely and fry them in butter until golden.",
            "The soup simmered for an hour with carrots, celery and thyme.",
            "She kneaded the bread dough and left it to rise by the oven.",
            "Season the chicken with salt, pepper and a squeeze of lemon.",
            "The kitchen smelled of garlic and freshly baked pastry.",
            "Whisk the eggs with sugar until the mixture turns pale.",
            "He grilled the vegetables and drizzled them with olive oil.",
            "Stir the risotto slowly, adding warm stock a ladle at a time.",
            "The recipe calls for two cups of flour and a pinch of salt.",
            "A pot of pasta boiled on the stove while the sauce thickened.",
            "Roast the potatoes until their edges are crisp and brown.",
            "The chef tasted the curry and added more chilli and ginger.",
            "Let the cake cool before spreading the chocolate icing.",
            "Marinate the beef overnight in soy sauce and honey.",
            "Fresh basil and tomatoes make a simple summer salad.",
            "Melt the butter in a pan and toast the breadcrumbs.",
            "The stew tasted even better the next day, reheated slowly.",
            "Fold the cheese into the omelette just before it sets.",
        ],
        negatives=NEGATIVES,
    ),
    "space": Concept(
        name="space",
        description="outer space, planets and stars",
        positives=[
            "The rocket lifted off and climbed towards orbit on a column of fire.",
            "Astronauts floated inside the space station, tethered to the walls.",
            "Saturn's rings are made of ice and rock circling the planet.",
            "The telescope captured light from a galaxy billions of years old.",
            "A comet's tail always points away from the sun.",
            "The rover drove across the red dust of Mars collecting samples.",
            "Stars are born in clouds of gas and dust called nebulae.",
            "The moon has no atmosphere, so its sky is black even by day.",
            "Jupiter is so large that all the other planets could fit inside it.",
            "The astronaut looked back at Earth, a blue marble in the darkness.",
            "A black hole bends light so strongly that nothing escapes it.",
            "Satellites orbit the planet, relaying signals around the globe.",
            "The spacecraft fired its engines to slip into lunar orbit.",
            "Meteors streaked across the night sky during the shower.",
            "The solar system formed from a spinning disc around the young sun.",
            "Mission control counted down the final seconds before launch.",
            "Venus is the hottest planet, wrapped in thick clouds.",
            "Light from the nearest star takes over four years to reach us.",
        ],
        negatives=NEGATIVES,
    ),
    "music": Concept(
        name="music",
        description="music and musical instruments",
        positives=[
            "The band tuned their guitars before the concert began.",
            "She practised the piano sonata until her fingers ached.",
            "The orchestra swelled as the violins took up the melody.",
            "A drummer kept a steady beat while the crowd sang along.",
            "He hummed the chorus of the song all the way home.",
            "The jazz trio improvised a long solo on the saxophone.",
            "Choir voices filled the hall with a slow, rich harmony.",
            "The album's first track opens with a soft acoustic riff.",
            "Turn up the volume; this is my favourite song.",
            "The conductor raised the baton and the symphony began.",
            "She learned to read sheet music at the age of seven.",
            "The bass line and the drums locked into a tight groove.",
            "A street musician played the violin near the station.",
            "The singer hit the high note and the audience cheered.",
            "Our school band rehearsed the march for the parade.",
            "He recorded the melody on his phone so he would not forget it.",
            "The festival stage hosted rock bands late into the night.",
            "Her cello sounded warm and deep in the small chapel.",
        ],
        negatives=NEGATIVES,
    ),
    "dogs": Concept(
        name="dogs",
        description="dogs",
        positives=[
            "The puppy chewed on a slipper and wagged its tail.",
            "Our dog barks at the postman every single morning.",
            "He threw the ball and the retriever sprinted after it.",
            "The sheepdog herded the flock towards the gate.",
            "She walks her two beagles in the park after work.",
            "The dog curled up by the fire and fell asleep.",
            "A wet nose nudged my hand; the terrier wanted a treat.",
            "The vet said our old labrador needs a softer diet.",
            "The puppy learned to sit and stay within a week.",
            "A husky pulled the sled across the snowy field.",
            "The dog buried its bone under the apple tree.",
            "He bought a new lead and a collar for the puppy.",
            "The guide dog led its owner safely across the road.",
            "Two dogs chased each other around the garden.",
            "Our spaniel howls whenever someone plays the trumpet.",
            "She brushed the dog's thick coat until it shone.",
            "The rescue dog was shy at first but soon trusted us.",
            "The dachshund waddled along on its short legs.",
        ],
        negatives=NEGATIVES,
    ),
    "rain": Concept(
        name="rain",
        description="rain and rainy weather",
        positives=[
            "Rain drummed on the roof all night long.",
            "We ran for shelter when the downpour started.",
            "Puddles formed on the pavement after the heavy shower.",
            "The forecast says it will rain for the rest of the week.",
            "Raindrops slid down the window as the storm passed.",
            "She opened her umbrella as the first drops fell.",
            "The drizzle soaked through my jacket on the way home.",
            "Thunder rumbled and the rain came down in sheets.",
            "The garden looked fresh and green after the rain.",
            "Water gushed from the gutters during the cloudburst.",
            "A grey, rainy afternoon kept everyone indoors.",
            "The monsoon rains flooded the fields by the river.",
            "Wet leaves covered the path after a night of rain.",
            "He wore boots to splash through the rain puddles.",
            "The rain stopped and a rainbow appeared over the hills.",
            "Cold rain lashed the windows of the bus.",
            "The picnic was cancelled because of the pouring rain.",
            "Clouds gathered and a light rain began to fall.",
        ],
        negatives=NEGATIVES,
    ),
}

#: Suppression prompts: each task asks about a concept subject; the concept-neutral request is
#: the same task about the paired everyday subject (7 tasks x 8 pairs = 56 prompts a concept).
ELICIT_TASKS = [
    "Describe {}.",
    "Write a short story about {}.",
    "Write a few lines about {}.",
    "Tell me about {}.",
    "Write a postcard about {}.",
    "Give me two facts about {}.",
    "What do you remember most about {}?",
]
SUBJECTS: dict[str, list[tuple[str, str]]] = {
    "ocean": [
        ("a day at the beach", "a day at the office"),
        ("sailing across the Atlantic", "driving across the country"),
        ("a fisherman at sea", "a postman on his round"),
        ("a coral reef", "a city park"),
        ("a seaside town", "a market town"),
        ("swimming in the ocean", "swimming in an indoor pool"),
        ("a storm at sea", "a power cut at home"),
        ("a lighthouse keeper", "a night watchman"),
    ],
    "cooking": [
        ("cooking a family dinner", "tidying the house"),
        ("baking bread at home", "repairing a bicycle at home"),
        ("a busy restaurant kitchen", "a busy post office"),
        ("a chef's first day at work", "a clerk's first day at work"),
        ("making soup on a cold evening", "reading on a cold evening"),
        ("a favourite recipe", "a favourite board game"),
        ("shopping for ingredients at the market", "shopping for stationery"),
        ("a cooking class", "a typing class"),
    ],
    "space": [
        ("a trip to the Moon", "a trip to the museum"),
        ("life on a space station", "life in a small flat"),
        ("looking at the stars through a telescope", "looking at old photographs"),
        ("an astronaut's training", "a nurse's training"),
        ("the planets of the solar system", "the rooms of a house"),
        ("a rocket launch", "a train departure"),
        ("exploring Mars", "exploring a new town"),
        ("a night under the galaxy", "a night in a hotel"),
    ],
    "music": [
        ("learning to play the piano", "learning to type"),
        ("a rock concert", "a town meeting"),
        ("writing a song", "writing a shopping list"),
        ("a jazz band", "a book club"),
        ("an orchestra rehearsal", "a staff meeting"),
        ("a favourite album", "a favourite notebook"),
        ("singing in a choir", "volunteering at a library"),
        ("a street musician", "a street sweeper"),
    ],
    "dogs": [
        ("walking a dog in the park", "walking to the shop"),
        ("a puppy's first week at home", "a new lodger's first week at home"),
        ("training a dog to sit", "training for a new job"),
        ("a dog show", "a craft fair"),
        ("a loyal sheepdog", "a loyal customer"),
        ("a day at the dog shelter", "a day at the library"),
        ("a dog that loves to fetch", "a child who loves to read"),
        ("choosing a dog breed", "choosing a laptop"),
    ],
    "rain": [
        ("a rainy afternoon", "a quiet afternoon"),
        ("walking home in a storm", "walking home after work"),
        ("thunder at night", "a late train at night"),
        ("a garden after heavy rain", "a garden in the morning"),
        ("the sound of rain on the roof", "the sound of a busy office"),
        ("a wet autumn day", "an ordinary weekday"),
        ("getting caught in a downpour", "getting caught in traffic"),
        ("a picnic cancelled by rain", "a meeting moved to Friday"),
    ],
}
for _name, _pairs in SUBJECTS.items():
    # task-major order: each run of eight prompts covers every subject once
    CURATED[_name].elicit = [t.format(c) for t in ELICIT_TASKS for c, _ in _pairs]
    CURATED[_name].neutral = [t.format(n) for t in ELICIT_TASKS for _, n in _pairs]

#: Prompts whose unsteered answers train and validate the judge (never steering prompts):
#: the first half of the tasks give training texts, the second half validation texts.
JUDGE_TASKS = [
    "Write two sentences about {}.",
    "Tell me something about {}.",
    "Write a short paragraph about {}.",
    "Say something interesting about {}.",
    "Explain {} to a friend.",
    "Write a diary entry about {}.",
    "List a few things you know about {}.",
    "Write a short description of {}.",
]
JUDGE_TOPICS = [
    "filling in a tax form",
    "a new office printer",
    "the rules of chess",
    "ironing shirts",
    "a visit to the bank",
    "fixing a leaking tap",
    "the history of the alphabet",
    "buying a second-hand car",
]

_TASKS = [
    "Write a short note about {}.",
    "Give me two tips about {}.",
    "Describe {} in a few sentences.",
    "What do you think about {}?",
]
_TOPICS = [
    "time management",
    "a tidy desk",
    "learning a new language",
    "choosing a good chair",
    "the history of bicycles",
    "saving money each month",
    "writing a clear email",
    "planning a birthday party",
    "starting a small garden",
    "keeping a journal",
    "moving to a new city",
    "repairing a bicycle tyre",
    "preparing for a job interview",
    "organising a bookshelf",
    "making new friends at work",
    "getting enough sleep",
]


def neutral_prompts(n: int) -> list[str]:
    """Up to 64 neutral instructions (four tasks times sixteen everyday topics)."""
    prompts = [task.format(topic) for topic in _TOPICS for task in _TASKS]
    if n > len(prompts):
        raise DataError(f"task_options.n_prompts {n} exceeds the {len(prompts)} neutral prompts")
    return prompts[:n]


#: How the prompting baselines name a sae-probes concept (others: the dataset name in words).
SAE_PROBES_DESCRIPTIONS = {
    "21_headline_istrump": "Donald Trump",
    "22_headline_isobama": "Barack Obama",
    "23_headline_ischina": "China",
    "24_headline_isiran": "Iran",
    "96_spam_is": "spam messages offering prizes",
    "140_news_class_Technology": "technology news",
    "141_news_class_Entertainment": "entertainment news",
    "142_cancer_cat_Lung_Cancer": "lung cancer",
    "146_disease_class_cardiovascular diseases": "heart disease",
    "149_twt_emotion_happiness": "happiness",
    "150_twt_emotion_sadness": "sadness",
    "161_agnews_0": "world news",
    "162_agnews_1": "sports",
    "163_agnews_2": "business and the economy",
}


def from_sae_probes(name: str, max_rows: int, seed: int) -> Concept:
    """One sae-probes binary dataset as a concept; elicitation prompts come from positives."""
    from replication.harness.datasets import _sae_probes_dataset, deduplicate

    ds = deduplicate(_sae_probes_dataset(name, include_ood=False))
    texts = ds.texts or []
    classes = np.unique(ds.y)
    if classes.size != 2:
        raise DataError(f"sae_probes dataset {name!r} is not binary (classes {classes.tolist()})")
    rng = np.random.default_rng(seed)
    pos = [texts[i] for i in rng.permutation(np.flatnonzero(ds.y == classes[1]))]
    neg = [texts[i] for i in rng.permutation(np.flatnonzero(ds.y == classes[0]))]
    if max_rows:
        pos, neg = pos[: max_rows // 2], neg[: max_rows // 2]
    readable = re.sub(r"^\d+_", "", name).replace("_", " ").replace("-", " ")
    description = SAE_PROBES_DESCRIPTIONS.get(name, readable)
    return Concept(name=name, description=description, positives=pos, negatives=neg)


def load_concept(source: str, name: str, max_rows: int, seed: int) -> Concept:
    """``concepts``: a curated name, else a sae-probes dataset; ``sae_probes``: the dataset."""
    if source == "concepts" and name in CURATED:
        return CURATED[name]
    from replication.harness.datasets import sae_probes_names

    if name not in sae_probes_names():
        raise DataError(
            f"unknown concept {name!r}: neither a curated concept ({', '.join(CURATED)}) "
            "nor a sae_probes dataset"
        )
    return from_sae_probes(name, max_rows, seed)


def judge_prompts(concept: Concept, per_task: int) -> dict[str, list[str]]:
    """Prompts for the judge's generated texts: ``{train,validation}_{pos,neg}``. Positives
    ask about the concept's description; negatives about everyday topics; training and
    validation use disjoint tasks, so the validation texts answer prompts the judge never saw."""
    half = len(JUDGE_TASKS) // 2
    out: dict[str, list[str]] = {}
    for part, tasks in (("train", JUDGE_TASKS[:half]), ("validation", JUDGE_TASKS[half:])):
        out[f"{part}_pos"] = [t.format(concept.description) for t in tasks] * per_task
        out[f"{part}_neg"] = [
            t.format(JUDGE_TOPICS[(i + j) % len(JUDGE_TOPICS)])
            for j in range(per_task)
            for i, t in enumerate(tasks)
        ]
    return out


def continuation_prompt(text: str, words: int = 12) -> str:
    opening = " ".join(text.split()[:words])
    return f"Continue this text: {opening}"
