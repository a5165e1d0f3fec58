"""Free text for the synthetic world: hours, prices, reviews, ads and hotline tips.

Written for this project from the indicator lists in Polaris' published
typology and IMB reports (see docs/synthetic-world.md). Illicit businesses get
texts ranging from explicit buyer jargon to subtle conduct cues; legitimate
businesses get ordinary reviews, some of which name a style of massage
("Chinese", "Thai", "Korean") that is evidence of nothing.
"""

from __future__ import annotations

import random

LEGIT_HOURS = ["9am-7pm", "10am-6pm", "Mon-Sat 9:00-18:00", "9 AM - 8 PM", "10:00-19:00", "Tue-Sun 10am-7pm"]
LATE_LEGIT_HOURS = ["10am-10pm", "9:30am-10pm", "10 AM - 11 PM", "10am-10:30pm daily"]
IMB_HOURS = [
    "10am-11pm", "9:30am - 12am", "10am-2am", "24/7", "Open 7 days 10am-midnight", "by appointment",
    "9am-11:30pm", "call for hours", "10AM-1AM", "open late",
]

LEGIT_PRICES = ["$90/hr", "$85 for 60 min", "$120/90min", "$95 / 60 minutes", "60 min $100", "$80-140"]
FOOT_PRICES = ["$35/hr foot", "$30 for 30 min", "$45 for 60 min", "60 min foot $40"]
IMB_PRICES = ["$40/hr", "40 for 60 min", "$50/hr", "$35 half hour", "$60/60min", "45/hr", "$40 hh $60 hr"]

LEGIT_REVIEWS = [
    "Great deep tissue massage, worked out all the knots in my shoulders.",
    "Very professional and clean. I booked online and they were on time.",
    "My therapist listened to what I needed and focused on my lower back.",
    "Nice relaxing atmosphere, soft music, hot towels. Will come back.",
    "Booked a couples massage for our anniversary, both of us loved it.",
    "Pricey but worth it. The hot stone add-on was excellent.",
    "Front desk was friendly and the intake form asked about my injuries.",
    "Good sports massage before my marathon, helped a lot with my calves.",
    "Best Chinese massage in town, the acupressure really helped my neck.",
    "Authentic Thai massage, lots of stretching, felt amazing afterwards.",
    "Korean spa style scrub was intense but my skin never felt better.",
    "Traditional Chinese foot reflexology, very relaxing after a long week.",
    "The Thai lady who owns it is so kind and remembers every regular.",
    "Open late which is great for my work schedule, clean rooms and good pressure.",
    "Cash discount offered but they take cards too. Solid massage.",
    "Ok massage, a bit rushed at the end. Parking is hard to find.",
]
CONDUCT_CUES = [
    "Front door was locked, had to ring a buzzer and wait to be let in.",
    "Only men in the waiting room every time I have been there.",
    "Windows are all covered up with paper, you cannot see inside.",
    "She kept asking for a bigger tip at the end, made me uncomfortable.",
    "Looks like the girls live there, saw a kitchen and mattresses in the back.",
    "Different girl every single visit, they never seem to stay.",
    "Cash only, no receipt, and the lady at the desk took my money first.",
    "Cameras over the door and a guy watching from a car outside.",
    "The massage itself was poor, she barely knew what she was doing.",
    "Lady in the room asked if I wanted anything else for extra.",
    "Strange place, no prices posted and they asked how I heard about them.",
]
EXPLICIT_POSTS = [
    "Mamasan greeted me at the door. Table shower then FS for extra, total 160.",
    "HE was offered without asking, $40 tip expected. YMMV.",
    "Gave the usual tip and got the extras, BBBJ available.",
    "Solid HJ place, new girls rotate every two weeks.",
    "Rubbed and tugged, ask for the special. Door is locked, ring the bell.",
    "FS on the menu if you are a regular. Girls live upstairs.",
    "Table shower, then happy ending. Mamasan takes cash at the front.",
    "Got the full service for $200 tip. New girl this week.",
    "GFE from the new one, she only knew a few words of English. Tip was 100.",
    "No extras this time, just a HJ. Worth it for 40 hh plus tip.",
]
# Board posts about legitimate businesses: a buyer who went to the wrong place, one who hoped,
# one who writes to harass. They use the board's jargon about a business that offers none of it.
FALSE_BOARD_POSTS = [
    "Heard this one does HJ for regulars. Went twice, nothing yet, will keep trying. YMMV.",
    "Asked about extras and got shown the door. Straight massage only, FS not on the menu here.",
    "Cute girls at the front, bet there is a happy ending if you tip enough.",
    "Not an AMP, do not bother. Legit massage, no extras, no table shower.",
    "Told the mamasan I wanted the special, she called the manager. Total waste.",
    "Pretty sure this is one of those places, cheap hh and open late. Anyone know about extras?",
    "Review for the guys: massage was rough, girl not friendly, no HE offered.",
    "Writing this so everyone knows what goes on at this spa, GFE for the right price.",
]
# Mentions of a language: packets use them to plan interpretation; indicators never read them.
LANGUAGE_MENTIONS = {
    "zh": "She spoke mostly Mandarin, we used a translation app.",
    "ko": "Staff only spoke Korean to each other.",
    "th": "The women spoke Thai among themselves.",
    "vi": "Everyone there spoke Vietnamese.",
}
AD_TEXTS = [
    "NEW GIRLS!! Grand opening, young and beautiful staff, call now, open late.",
    "Best massage in town, table shower available, new staff every week.",
    "Relax with our sweet therapists, open until 2am, walk-ins welcome, cash.",
    "Private rooms, VIP treatment, call or text anytime 24/7.",
]
LEGIT_ADS = [
    "Licensed massage therapists, online booking, gift cards available.",
    "Now hiring licensed LMTs, health insurance and flexible schedule.",
]

TIP_TEXTS = [
    "Caller reports a massage business where women seem to live inside and never leave.",
    "Texter says a relative works at a spa, is not paid, and owes a large debt to the owner.",
    "Reporter saw men coming and going late at night and windows covered at a massage place.",
    "Chat from a woman who says her boss keeps her passport and she works every day.",
    "Community member reports a van dropping women at a spa at night and picking them up in the morning.",
    "Service provider reports a client who was recruited with a job offer for a nail salon and moved to a spa.",
    "Caller says the manager takes all tips and the women sleep on the massage tables.",
]
TIP_WORKER_MENTION = " One worker goes by {alias}."
LEGIT_TIP_TEXTS = [
    "Caller unsure whether a busy spa with late hours is legitimate; no other concerns reported.",
    "Reporter complains about parking and noise from a massage studio next door.",
]
WORKER_ALIASES = ["Lily", "Coco", "Amy", "Mimi", "Candy", "Jenny", "Nana", "Kiki", "Sunny", "Vivi"]


def pick(rng: random.Random, items: list[str]) -> str:
    return items[rng.randrange(len(items))]
