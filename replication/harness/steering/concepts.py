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
    elicit: list[str] = field(default_factory=list)


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
        elicit=[
            "Describe a day at the beach.",
            "Write a few lines about sailing across the Atlantic.",
            "What do you see when you stand on a cliff above the sea?",
            "Tell a short story about a fisherman.",
            "Describe a coral reef to a child.",
            "Write a postcard from a seaside town.",
            "What is it like to swim in the ocean?",
            "Describe a storm seen from a lighthouse.",
        ],
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
        elicit=[
            "What should I make for dinner tonight?",
            "Describe your favourite meal.",
            "How do you make a simple tomato sauce?",
            "Write a short story set in a busy restaurant kitchen.",
            "What would you bake for a birthday party?",
            "Describe a family breakfast on a Sunday morning.",
            "Give me an idea for a quick lunch.",
            "What is the best way to cook vegetables?",
        ],
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
        elicit=[
            "What would you pack for a trip to the moon?",
            "Describe the night sky far from any city.",
            "Write a short story about an astronaut.",
            "Explain what a planet is to a child.",
            "What is it like to look through a telescope?",
            "Describe a rocket launch.",
            "What might we find on Mars?",
            "Write a few lines about the stars.",
        ],
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
        elicit=[
            "What did you do at the concert last night?",
            "Describe your favourite band.",
            "Write a few lines about learning the piano.",
            "What makes a good song?",
            "Describe a street musician you once saw.",
            "Write a short story about a singer.",
            "What would you play at a party?",
            "Describe an orchestra warming up.",
        ],
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
        elicit=[
            "What pet would suit a family with children?",
            "Describe a walk in the park on a Sunday morning.",
            "Write a short story about a loyal companion.",
            "What happens at a vet's clinic?",
            "Describe a farm in the countryside.",
            "What do you need to look after a puppy?",
            "Write a few lines about an animal that guards a house.",
            "Describe a day at an animal shelter.",
        ],
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
        elicit=[
            "Describe the weather on a grey autumn day.",
            "What is it like to walk home in a storm?",
            "Write a few lines about a cloudy afternoon.",
            "Why was the picnic cancelled?",
            "Describe a garden after a storm.",
            "What do you wear on a wet day?",
            "Write a short story that starts with thunder.",
            "Describe the sound on the roof during a storm.",
        ],
    ),
}

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


def continuation_prompt(text: str, words: int = 12) -> str:
    opening = " ".join(text.split()[:words])
    return f"Continue this text: {opening}"
