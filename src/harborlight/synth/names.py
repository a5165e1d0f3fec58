"""Names for the synthetic world, and the ways registries and web pages garble them.

The pools are small lists written for this project: common family and given
names, the romanization variants that real records mix (Pinyin and Wade-Giles
for Chinese, Revised Romanization and McCune-Reischauer for Korean), and
word lists for business names. Names here are used only to make records; no
harborlight indicator ever reads a name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Chinese family names with Wade-Giles / other spellings seen in US records.
CHINESE_FAMILY = {
    "Zhang": ["Chang", "Cheung"],
    "Wang": ["Wong"],
    "Li": ["Lee", "Lei"],
    "Liu": ["Lau", "Lew"],
    "Chen": ["Chan", "Chin"],
    "Yang": ["Yeung"],
    "Huang": ["Hwang", "Wong"],
    "Zhao": ["Chao", "Chiu"],
    "Wu": ["Woo", "Ng"],
    "Zhou": ["Chou", "Chow"],
    "Xu": ["Hsu", "Tsui"],
    "Sun": ["Suen"],
    "Zhu": ["Chu"],
    "Lin": ["Lam", "Lim"],
    "Guo": ["Kuo", "Kwok"],
    "He": ["Ho"],
    "Gao": ["Kao", "Ko"],
    "Zheng": ["Cheng"],
    "Xie": ["Hsieh", "Tse"],
    "Jiang": ["Chiang"],
}
# Korean family names: Revised Romanization first, then the other spellings.
KOREAN_FAMILY = {
    "Kim": ["Gim"],
    "Lee": ["Yi", "Rhee", "Rhie"],
    "Park": ["Pak", "Bak"],
    "Choi": ["Choe", "Chwe"],
    "Jung": ["Chung", "Jeong"],
    "Kang": ["Gang"],
    "Cho": ["Jo"],
    "Yoon": ["Yun"],
    "Jang": ["Chang"],
    "Lim": ["Im", "Rim"],
    "Han": ["Hahn"],
    "Shin": ["Sin"],
}
THAI_FAMILY = {
    name: []
    for name in (
        "Srisuk Chaiyaporn Wongsawat Boonmee Kaewkanya Saetang Rattanakorn Suwannarat Thongchai "
        "Phromma Jaidee Sukhum Kongkaew Siriwan Chanthara"
    ).split()
}
VIETNAMESE_FAMILY = {"Nguyen": ["Nguyễn"], "Tran": [], "Le": [], "Pham": [], "Hoang": ["Huynh"]}
OTHER_FAMILY = {
    name: []
    for name in (
        "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
        "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Thompson White Harris "
        "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Hill "
        "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Petrov "
        "Kowalski Novak Cohen Shapiro Okafor Mensah Haddad Khoury Patel Shah Singh Murphy Cook "
        "Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez Kelly Howard Ward Cox Diaz Richardson "
        "Wood Watson Brooks Bennett Gray James Reyes Cruz Hughes Price Myers Long Foster Sanders "
        "Ross Morales Powell Sullivan Russell Ortiz Jenkins Gutierrez Perry Butler Barnes Fisher "
        "Henderson Coleman Simmons Patterson Jordan Reynolds Hamilton Graham Alvarez Castillo"
    ).split()
}

# Given names are built from syllables, as Chinese and Korean given names are, so that a
# world of thousands of people has about as many full-name coincidences as a real one.
CHINESE_SYLLABLES = (
    "Wei Fang Min Jing Li Na Xiu Ying Mei Ling Hui Yan Lei Jun Hong Xiao Yu Ting Jian Qiang "
    "Ping Shu Fen Ya Chun Xin Hua Hai Zhi Ming Guo Bao Dong Feng Gang Kai Lan Qing Rui Tao"
).split()
KOREAN_SYLLABLES = (
    "Min Jun Seo Yeon Ji Hoon Soo Jin Eun Hye Young Hee Sung Woo Mi Kyung Hyun Dong Ha Na "
    "Yoon Jae Sang Chul Bo Ra Da Hwa Joo Kyu"
).split()
THAI_GIVEN = (
    "Somchai Malee Nok Siriporn Kanya Apinya Niran Ploy Arun Chai Dao Kamon Lamai Pim Rattana Sunee "
    "Anong Boonsri Chanida Duangjai Kannika Kittisak Mali Nattaya Orathai Pensri Ratana Saowalak "
    "Somsak Supaporn Thida Wanida Wilai Yupin Achara Busaba Jintana Kulap Nipa Porntip"
).split()
VIETNAMESE_GIVEN = [
    f"{middle} {given}"
    for middle in ("Thi", "Van", "Ngoc", "Thanh", "Minh")
    for given in "Lan Minh Thu Hoa Anh Linh Tuan Hanh Mai Ngoc Phuong Quynh Thao Trang Vy Yen Dung Hai Huong Khanh".split()
]
OTHER_GIVEN = (
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Susan "
    "Richard Jessica Joseph Sarah Thomas Karen Maria Daniel Nancy Carlos Ana Luis Rosa "
    "Ahmed Fatima Olga Ivan Sofia Ethan Emma Noah Olivia Grace Anna-Marie Jean-Paul "
    "Brian Kevin Laura Rachel Steven Angela Diego Elena Marco Hannah Samuel Chloe Isaac "
    "Leah Omar Priya Ravi Tomas Irene Victor Nadia Pedro Lucia Andre Monica Felix Rebecca"
).split()


def _syllable_names(syllables: list[str]) -> list[str]:
    singles = list(syllables)
    pairs = [f"{a}-{b.lower()}" for a in syllables for b in syllables if a != b]
    return singles + pairs


CHINESE_GIVEN = _syllable_names(CHINESE_SYLLABLES)
KOREAN_GIVEN = _syllable_names(KOREAN_SYLLABLES)
MIDDLE_INITIALS = "A B C D E F G H J K L M N P R S T W".split()

@dataclass(frozen=True)
class NamePools:
    """The names one kind of world draws from: family names with their other spellings,
    given names, and a short list of very common full names per group."""

    family: dict[str, dict[str, list[str]]]  # group -> family name -> other romanizations
    given: dict[str, list[str]]  # group -> given names
    common: dict[str, list[tuple[str, str]]]  # group -> (given, family) shared by many unrelated people


# Very common full names: the most frequent given and family names of each group together,
# the way "Maria Garcia" or "Wang Wei" are each carried by many unrelated people.
STANDARD_COMMON = {
    "chinese": [("Wei", "Wang"), ("Wei", "Zhang"), ("Min", "Li"), ("Jing", "Liu"), ("Li-na", "Chen")],
    "korean": [("Min-jun", "Kim"), ("Ji-hoon", "Lee"), ("Seo-yeon", "Park"), ("Eun-hye", "Kim")],
    "thai": [("Somchai", "Saetang"), ("Malee", "Srisuk"), ("Siriporn", "Boonmee")],
    "vietnamese": [("Thi Lan", "Nguyen"), ("Van Minh", "Nguyen"), ("Thi Hoa", "Tran")],
    "other": [("James", "Smith"), ("Maria", "Garcia"), ("John", "Johnson"), ("Mary", "Williams"), ("Michael", "Brown")],
}

STANDARD_POOLS = NamePools(
    family={
        "chinese": CHINESE_FAMILY,
        "korean": KOREAN_FAMILY,
        "thai": THAI_FAMILY,
        "vietnamese": VIETNAMESE_FAMILY,
        "other": OTHER_FAMILY,
    },
    given={
        "chinese": CHINESE_GIVEN,
        "korean": KOREAN_GIVEN,
        "thai": THAI_GIVEN,
        "vietnamese": VIETNAMESE_GIVEN,
        "other": OTHER_GIVEN,
    },
    common=STANDARD_COMMON,
)
EAST_ASIAN = {"chinese", "korean"}
FAMILY_FIRST = {"chinese", "korean", "vietnamese"}
NAME_ORDERS = ("comma", "family_first", "given_first")


@dataclass(frozen=True)
class PersonName:
    """A person's name as they would give it, and the group used only for the fairness audit."""

    given: str
    family: str
    middle: str
    group: str
    family_variants: tuple[str, ...] = ()  # other romanizations records use for the family name

    @property
    def name_group(self) -> str:
        return "east_asian" if self.group in EAST_ASIAN else "other"

    def plain(self) -> str:
        return f"{self.given} {self.family}"


@dataclass(frozen=True)
class NameWriting:
    """How one kind of world's records write a person's name."""

    romanization_share: float  # a record uses another spelling of the family name
    order_weights: tuple[float, float, float]  # comma (LAST, FIRST), family first, given first
    upper_share: float  # family-first and given-first forms written in capitals (comma form always is)
    middle_shown_share: float
    typo_rate: float


def make_person(rng: random.Random, group: str, pools: NamePools, common_share: float, middle_share: float) -> PersonName:
    """A new person's name; a share get one of the group's very common full names."""
    families = pools.family[group]
    middle = rng.choice(MIDDLE_INITIALS) if group == "other" and rng.random() < middle_share else ""
    if rng.random() < common_share:
        given, family = rng.choice(pools.common[group])
    else:
        given, family = rng.choice(pools.given[group]), rng.choice(list(families))
    return PersonName(given, family, middle, group, tuple(families.get(family, [])))


def _family_variant(rng: random.Random, name: PersonName, share: float) -> str:
    if name.family_variants and rng.random() < share:
        return rng.choice(name.family_variants)
    return name.family


def _given_variant(rng: random.Random, given: str) -> str:
    """Hyphenated given names appear hyphenated, spaced and joined."""
    if "-" not in given:
        return given
    first, second = given.split("-", 1)
    second = second[:1].upper() + second[1:]
    return rng.choice([given, f"{first} {second}", f"{first}{second.lower()}", f"{first}-{second}"])


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: a dropped, doubled or swapped letter."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:-1])
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    j = i + 1
    return text[:i] + text[j] + text[i] + text[j + 1 :] if j < len(text) else text


def registry_name(
    rng: random.Random, name: PersonName, writing: NameWriting, order: str | None = None, family: str | None = None
) -> str:
    """A person's name as a corporate registry or license board writes it.

    `order` and `family` force a form (one of NAME_ORDERS, one spelling of the family name),
    for records that must write one person differently from her other records.
    """
    family = family or _family_variant(rng, name, writing.romanization_share)
    given = _given_variant(rng, name.given)
    middle = f" {name.middle}" if name.middle and rng.random() < writing.middle_shown_share else ""
    if order is None:
        order = rng.choices(NAME_ORDERS, weights=writing.order_weights)[0]
        if order == "family_first" and name.group not in FAMILY_FIRST:
            order = "given_first"
    if order == "comma":
        text = f"{family}, {given}{middle}".upper()
    elif order == "family_first":
        text = f"{family} {given}"  # family name first, no comma
        text = text.upper() if rng.random() < writing.upper_share else text
    else:
        text = f"{given}{middle} {family}"
        text = text.upper() if rng.random() < writing.upper_share else text
    return typo(rng, text) if rng.random() < writing.typo_rate else text


def casual_name(rng: random.Random, name: PersonName, writing: NameWriting) -> str:
    """A name as it appears in a press release or court index."""
    return f"{_given_variant(rng, name.given)} {_family_variant(rng, name, writing.romanization_share)}"


# Variant "b" draws from other pools: Cantonese and Hokkien spellings first for Chinese names,
# McCune-Reischauer-leaning Korean spellings, and larger Vietnamese and Thai pools.
B_CHINESE_FAMILY = {
    "Chan": ["Chen", "Chin"],
    "Wong": ["Huang", "Wang"],
    "Leung": ["Liang"],
    "Cheung": ["Zhang", "Chang"],
    "Lau": ["Liu", "Low"],
    "Ng": ["Wu", "Eng"],
    "Ho": ["He", "Hoh"],
    "Tan": ["Chen", "Tang"],
    "Lim": ["Lin", "Lam"],
    "Yip": ["Ye", "Yeh"],
    "Tsang": ["Zeng", "Tseng"],
    "Kwan": ["Guan"],
    "Fung": ["Feng"],
    "Tam": ["Tan"],
    "Mak": ["Mai"],
    "Lo": ["Lu", "Law"],
}
B_KOREAN_FAMILY = {
    "Kim": ["Ghim"],
    "Rhee": ["Lee", "Yi", "Ri"],
    "Pak": ["Park", "Bak"],
    "Choe": ["Choi", "Chey"],
    "Chong": ["Jung", "Jeong"],
    "Kwon": ["Gwon"],
    "Song": [],
    "Yu": ["Yoo", "Ryu"],
    "Hong": [],
    "O": ["Oh"],
}
B_THAI_FAMILY = {
    name: []
    for name in (
        "Wongchai Sukprasert Thanomsak Chaiwong Pattanapong Intarasuk Kittikul Charoenrat Panyawong "
        "Sombat Meesuk Nakhonsri Rungruang Sirisombat Thepsuwan Bunyasiri Khamphan Rattanawong "
        "Phanthong Chantarasri Kaewmanee Somboon Jantawan Prasertsri"
    ).split()
}
B_VIETNAMESE_FAMILY = {
    "Nguyen": ["Nguyễn", "Ngyuen"], "Tran": ["Trần"], "Le": ["Lê"], "Pham": ["Phạm"], "Huynh": ["Hoang"],
    "Phan": [], "Vu": ["Vo"], "Dang": [], "Bui": [], "Do": ["Dao"], "Ngo": [], "Duong": ["Dương"],
    "Ly": ["Lee"], "Truong": ["Trương"], "Dinh": [],
}
B_OTHER_FAMILY = {
    name: []
    for name in (
        "Hernandez Lopez Perez Sanchez Ramirez Torres Flores Rivera Gomez Diaz Morales Ortiz Vargas "
        "Castro Romero Ruiz Mendoza Aguilar Navarro Medina Schmidt Muller Fischer Weber Becker Olsen "
        "Hansen Larsen Johansson Lindqvist Moreau Dubois Laurent Rossi Russo Ferrari Esposito Bianchi "
        "O'Brien O'Connor McCarthy Gallagher Walsh Byrne Okonkwo Adeyemi Nwosu Mwangi Kamau Ivanova "
        "Sokolov Volkov Popescu Nowak Wisniewski Dabrowski Kaur Gupta Reddy Nair Iyer Hussain Rahman"
    ).split()
}
B_CHINESE_SYLLABLES = (
    "Ka Wai Man Ki Yin Siu Kam Mei Yuk Lai Chi Kwok Sze Wing Fong Ho Shan Pui Suet Ching Hoi Kit Tak Yee"
).split()
B_KOREAN_SYLLABLES = "Kyong Sun Ok Nam Chol Hyon Yong Gil Suk Myong Chun Bok Son Won Hui Yon Tae Il".split()
B_THAI_GIVEN = (
    "Benjamas Chalermchai Darunee Jiraporn Kanokwan Lalita Manee Nongluck Pakamas Preeya Rungnapa "
    "Sasithorn Tassanee Urai Waraporn Yaowalak Amporn Buppha Chutima Duangporn Jaruwan Kwanjai "
    "Nittaya Oranuch Patcharee Ratchanee Sukanya Thanyarat Wipawee Ying"
).split()
B_VIETNAMESE_GIVEN = [
    f"{middle} {given}"
    for middle in ("Thi", "Van", "Kim", "Bich", "Hong", "Duc", "Quoc")
    for given in "Hang Nga Loan Tam Tuyet Diep Huong Xuan Dao Nhung Oanh Phuc Sang Tien Uyen Vinh".split()
] + "Hanh Thuy Lien Cuc Hue".split()
B_OTHER_GIVEN = (
    "Jose Juan Luis Miguel Carmen Guadalupe Alejandra Fernando Jorge Ricardo Veronica Claudia "
    "Hans Greta Lars Ingrid Pierre Camille Giulia Matteo Siobhan Declan Chinedu Ngozi Amara Wanjiru "
    "Dmitri Natalia Katarzyna Piotr Arjun Deepa Anil Farah Yusuf Bilal Ayesha Tyler Brittany Dustin "
    "Heather Travis Amber Kyle Megan"
).split()
B_COMMON = {
    "chinese": [("Ka-man", "Chan"), ("Wai", "Wong"), ("Mei", "Lim"), ("Siu-ming", "Ng")],
    "korean": [("Yong-su", "Kim"), ("Sun-hui", "Pak"), ("Chol", "Rhee")],
    "thai": [("Manee", "Somboon"), ("Sukanya", "Wongchai"), ("Jiraporn", "Meesuk")],
    "vietnamese": [("Thi Hang", "Nguyen"), ("Van Duc", "Tran"), ("Thi Nga", "Le"), ("Kim Loan", "Pham")],
    "other": [("Jose", "Hernandez"), ("Maria", "Lopez"), ("Juan", "Perez"), ("Carmen", "Sanchez"), ("Luis", "Ramirez")],
}
B_POOLS = NamePools(
    family={
        "chinese": B_CHINESE_FAMILY,
        "korean": B_KOREAN_FAMILY,
        "thai": B_THAI_FAMILY,
        "vietnamese": B_VIETNAMESE_FAMILY,
        "other": B_OTHER_FAMILY,
    },
    given={
        "chinese": _syllable_names(B_CHINESE_SYLLABLES),
        "korean": _syllable_names(B_KOREAN_SYLLABLES),
        "thai": B_THAI_GIVEN,
        "vietnamese": B_VIETNAMESE_GIVEN,
        "other": B_OTHER_GIVEN,
    },
    common=B_COMMON,
)


# Words for business names. Some carry ethnic words on purpose: they appear in
# legitimate and illicit businesses alike, and no indicator may use them.
SPA_ADJECTIVES = (
    "Golden Lotus Jade Blue Sky Happy Lucky Royal Pearl Orchid Sunny Bamboo Lotus Peaceful "
    "Serene Zen Harmony Star Moon Crystal Dragon Phoenix Spring Ocean Silk Rose Cherry"
).split()
SPA_NOUNS = "Spa Massage Bodywork Relax Wellness Therapy Touch Health".split()
SPA_TAILS = ["Spa", "Massage", "Massage Spa", "Health Spa", "Body Care", "Relaxation Center", "Day Spa", "Wellness Center"]
ETHNIC_WORDS = ["Asian", "Oriental", "Chinese", "Thai", "Korean", "Tokyo", "Bangkok", "Seoul"]
FOOT_TAILS = ["Foot Spa", "Reflexology", "Foot Massage", "Foot Reflexology", "Reflexology Center"]
INDEPENDENT_TAILS = ["Massage Therapy", "Bodywork", "Therapeutic Massage", "Massage Studio", "Day Spa", "Wellness"]
PLACE_WORDS = "Riverside Oakwood Lakeside Hillcrest Westside Midtown Parkview Bayside Northgate Cedar Willow".split()
MEDICAL_TAILS = ["Chiropractic", "Physical Therapy", "Spine & Wellness", "Chiropractic Center", "Sports Medicine"]
OTHER_KINDS = [
    "Nail Salon", "Cleaners", "Grill", "Auto Repair", "Insurance", "Pharmacy", "Bakery",
    "Hair Studio", "Tax Services", "Pet Grooming", "Kitchen", "Tailor",
]
CHAIN_BRANDS = [
    "Serene Hands", "Body Renew", "Calm Haven Massage", "Stretch & Restore", "Kneaded Relief",
    "Massage Harbor", "Pure Motion", "Tranquil Path", "Relax Republic", "Healing Grove",
]
HOLDING_WORDS = ["Holdings", "Investments", "Group", "Management", "Enterprises", "Capital"]
AGENT_COMPANIES = [
    "Sunstate Registered Agents Inc", "Corporate Filing Services LLC", "First Capitol Agent Company",
    "Registered Agent Solutions of America Inc", "Statewide Incorporators LLC", "Legal Entity Services Corp",
    "Anchor Compliance Agents LLC", "Keystone Corporate Services Inc", "United Agent Group LLC",
    "Paperwork Partners Inc", "Harbor Filing Agents LLC", "Cornerstone Registered Agent Co",
]
LEGAL_SUFFIXES = ["LLC", "Inc", "Corp", "L.L.C.", "Inc.", "Corporation", "Co"]
