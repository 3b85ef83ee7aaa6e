"""The brand's name used for something else: a pet, a person, a town, a street, a pub, a song, a
band, a football club ("my cat Acme", "Acme FC won 3-1", "'Acme' by Night Lanterns").

A post like that matched the brand's search terms, but it is not about the brand: it is noise
in the inbox, counted as spam. The cue must sit right next to the name, in one of a few
shapes, so that "my cat knocked my Acme router off the desk" stays a mention of the brand.

Given the brand's terms (the config's `[brand] terms`), the name in those shapes must be one
of them. Without terms (`mentionwatch classify` with no config), any capitalised name
fills the slot; the shapes alone then carry the signal. Pure: patterns are compiled once per
set of terms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

#: Animals, people and things that get a name.
_NAMED = (
    r"(?:cat|kitten|kitty|dog|puppy|pup|doggo|greyhound|whippet|lurcher|labrador|retriever|"
    r"terrier|spaniel|collie|poodle|dachshund|pug|hamster|gerbil|rabbit|bunny|parrot|budgie|"
    r"horse|pony|pig|goat|chickens?|hens?|ducks?|tortoise|turtle|snake|gecko|lizard|goldfish|"
    r"ferret|guinea pig|son|daughter|baby|boy|girl|cousin|nephew|niece|grandson|granddaughter|"
    r"brother|sister|bestie|boat|guitar|(?:d&d |dnd |rpg )?"
    r"character|oc)"
)
_OWNER = r"(?:my|our|his|her|their)\s+(?:(?:new|little|old|two|three|rescue|baby|pet|"
_OWNER += r"beloved|late|sweet|dear|lovely|fur)\s+)*"
#: Places and clubs named after something: "Acme Beach", "Acme valley", "Acme FC".
_PLACE = (
    r"(?:hall|beach|bay|valley|village|river|lake|island|church|primary school|high school|"
    r"fc|afc|f\.c\.|rovers|wanderers|athletic)"
)
#: Roads and schools no shop is named after: "Acme bypass", "Acme Elementary". (Not "Hillside
#: reservoir" or "estate": a water company or a landlord names its own sites.)
_MORE_PLACES = (
    r"(?:bypass|elementary|middle school|grammar school|secondary school|high(?:'s|’s)|pta|"
    r"cathedral|abbey|castle|chapel|museum|zoo|lighthouse|hospice|scouts|choir|orchestra|"
    r"harriers|marathon|carnival|parade|orchard|vineyard|manor)"
)
#: A person named in the news by their title: "Detective Inspector Ana Acme said ...".
_TITLE = (
    r"(?-i:Detective|Inspector|Sergeant|Sgt|Constable|Councillor|Cllr|Mayor|Senator|Judge|"
    r"Officer|Sheriff|Coach|Captain|Professor|Reverend)"
)
_NEWS_VERB = r"(?:said|says|told|asked|confirmed|announced|added|warned|urged|stated)"
#: A birthday of a pet or a child, told by its owner: "she", "my baby girl", a paw.
_BEING = (
    r"(?:\b(?:she|he|her|his)\b|\b(?:my|our)\s+(?:\w+\s+)?(?:girl|boy|son|daughter|baby|pup|"
    r"puppy|kitten|dog|cat)\b|🐶|🐱|🐾|🐕|🐈|🐩)"
)
_AGE = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
#: Streets: "Acme Road" is the brand's name only when it is one of the brand's terms (without
#: terms, "the Acme on Mill Road" would count: shops are found by their street).
_STREET = r"(?:road|rd|street|st|avenue|ave|lane|close|drive|crescent|terrace)"
#: What a name "is" when it is not the brand: "Acme is a lovely little town".
_IS_A = (
    r"(?:town|village|city|suburb|hamlet|pub|band|singer|rapper|dj|song|album|river|"
    r"mountain|beach|island|racehorse|horse|character|name)"
)
_MUSIC = r"(?:song|track|album|single|ep|mixtape|tune|banger|lyrics|chorus|bridge|verse)"

#: What follows a pet's name when the brand is what the pet gets: "my dog Acme insurance".
_FOR_THE_PET = (
    r"(?!\s+(?:insurance|food|kibble|treats?|toys?|bed|collar|harness|lead|litter|policy|plan|"
    r"account|app|card|order|subscription|box)\b)"
)

#: "the new Acme album feature" is a photo app's albums, not a band's.
_NOT_A_FEATURE = (
    r"(?!\s+(?:feature|view|page|tab|button|sync|sharing|option|setting|mode|cover|app)\b)"
)


def _words_of(*groups: str) -> frozenset[str]:
    return frozenset(
        word
        for group in groups
        for word in re.sub(r"[^a-z&]+", " ", group).split()
        if len(word) > 1
    )


_PETS = _words_of(_NAMED, "chicken chickens hen hens duck ducks")
_MUSIC_WORDS = _words_of(_MUSIC, "band singer rapper film movie novel book")

#: The shapes, with "{n}" where the name goes, each with the words that can cue it: a shape is only
#: tried around one of its words.
_SHAPES: tuple[tuple[frozenset[str], str], ...] = (
    # "my cat Acme", "my boy Acme", "our new rescue greyhound, Acme"
    (_PETS, rf"\b{_OWNER}{_NAMED}\s*,?\s+(?:named\s+|called\s+)?{{n}}{_FOR_THE_PET}"),
    # "Meet Acme, my new kitten." (an apposition that ends there, not "@Acme my son can't")
    (
        _PETS,
        rf"(?<!@){{n}}\W{{1,6}}(?:is\s+)?{_OWNER}{_NAMED}(?=\s*(?:[,.!?;:)]|$)|\s+[^\w\s])",
    ),
    # "Acme the cat is 14 today" (not "Fed the cat in the morning")
    (_PETS, rf"{{n}}\s+the\s+{_NAMED}\s+(?:is|was|has|had|turned|just|says|loves|hates|wants)\b"),
    (frozenset({"named"}), r"\bnamed\s+(?:my|our|him|her|it|the|this)\s+(?:\w+\s+){0,2}{n}"),
    (
        frozenset({"name"}),
        r"{n}\s+is\s+(?:the|a|such\s+a|my|our)\s+(?:\w+\s+){0,2}name\s+(?:of|for)\b",
    ),
    # "Acme FC", "Acme Beach"
    (_words_of(_PLACE), rf"{{n}}\s+{_PLACE}(?![\w-])"),
    # "Acme is a lovely little town", "Acme is also my nonna's village", "the Acme in
    # Hebden is a lovely pub"
    (
        _words_of(_IS_A),
        rf"{{n}}\b[^.!?\n]{{0,20}}\s(?:is|was)\s+(?:also\s+|just\s+)?(?:a|an|the|my|our)"
        rf"\s+(?:(?!(?:in|of|on|at|for|to|around)\s)[\w'’]+\s+){{0,3}}?{_IS_A}\b",
    ),
    # "'Acme' by Night Lanterns", "'Acme' is the best song on the album", "the new Acme album"
    (frozenset({"by"}), r"['‘\"“]{n}['’\"”]\s+(?:by|from)\s+(?-i:[A-Z])"),
    (_MUSIC_WORDS, rf"['‘\"“]{{n}}['’\"”][^.!?\n]{{0,40}}\b{_MUSIC}\b"),
    (
        _MUSIC_WORDS,
        r"\b(?:new|latest|debut|last)\s+{n}\s+(?:album|single|ep|mixtape|song|track)\b"
        + _NOT_A_FEATURE,
    ),
    (_MUSIC_WORDS, r"{n}\s+(?:lyrics|album|mixtape)\b" + _NOT_A_FEATURE),
    (
        _MUSIC_WORDS | _PETS,
        r"{n}\s*\((?:band|song|album|singer|rapper|film|movie|novel|book|horse|dog|cat)\)",
    ),
    # "Acme bypass closed again", "Acme Elementary PTA bake sale", "Acme High's team"
    (_words_of(_MORE_PLACES, "high"), rf"{{n}}\s+{_MORE_PLACES}(?![\w-])"),
    # "Storm Acme brought down trees", "Hurricane Acme is now a Category 3"
    (
        frozenset({"storm", "hurricane", "typhoon", "cyclone"}),
        r"(?-i:\b(?:Storm|Hurricane|Typhoon|Cyclone))\s+{n}",
    ),
    # "the fishing vessel Acme", "RV Acme returned to port"
    (
        frozenset({"vessel", "ship", "yacht", "trawler", "tanker", "rv", "hms", "mv", "uss"}),
        r"\b(?:vessel|ship|yacht|trawler|tanker)\s+(?:(?-i:RV|HMS|MV|USS)\s+)?{n}"
        r"|(?-i:\b(?:RV|HMS|MV|USS))\s+{n}",
    ),
    # "DJ Acme on the decks this Saturday"
    (frozenset({"dj"}), r"(?-i:\bDJ)\s+{n}"),
    # "Acme by R.J. Keane is book 2 in the trilogy": a book, without quotes
    (
        frozenset({"book", "novel", "trilogy", "memoir", "sequel", "thriller"}),
        r"{n}\s+by\s+(?-i:[A-Z])[\w.'’ -]{1,30}?\s+(?:is|was)\s+(?:book\s+\d|the\s+"
        r"(?:\w+\s+)?(?:book|novel|sequel)|an?\s+(?:\w+\s+)?(?:novel|memoir|thriller))\b",
    ),
    # "Detective Inspector Ana Acme said the investigation is ongoing"
    (_words_of(_TITLE.lower()), rf"\b{_TITLE}\s+(?:(?-i:[A-Z])\w+\s+)?{{n}}\s+{_NEWS_VERB}\b"),
    # "Acme turned 3 today 🐶", "Happy birthday Acme! my baby girl is 5 today"
    (
        frozenset({"turned", "turns"}),
        rf"{{n}}\s+(?:just\s+)?turn(?:ed|s)\s+{_AGE}\b[^\n]{{0,60}}?{_BEING}",
    ),
    (
        frozenset({"birthday", "bday"}),
        rf"\bhappy\s+(?:\d+\w*\s+)?(?:birthday|bday),?\s+{{n}}\b[^\n]{{0,60}}?{_BEING}",
    ),
    # "Acme just won best in show at the county dog show"
    (
        frozenset({"show"}),
        r"{n}\b[^.!?\n]{0,60}\b(?:dog|cat|horse|pony|cattle|livestock|agricultural) show\b",
    ),
    # "Mount Acme", "Loch Acme", "the Isle of Acme"
    (
        frozenset({"mount", "loch", "isle", "lake"}),
        r"(?-i:\b(?:Mount|Loch|Lake|Isle of))\s+{n}",
    ),
    # "RIP Acme", "in loving memory of Acme", "Acme's funeral"
    (
        frozenset({"rip", "memory", "funeral", "wedding", "christening", "graduation"}),
        r"(?-i:\bRIP)\s+{n}|\bin (?:loving )?memory of\s+{n}"
        r"|{n}(?:'s|’s)\s+(?:funeral|wedding|christening|graduation)\b",
    ),
    # "Sam Acme, 34, from Leeds": a person in a news report
    (frozenset({"aged"}), r"{n},\s+aged\s+\d{1,2},\s+(?:from|of)\b"),
    # "the racehorse Acme won the 3:15 at Ascot"
    (frozenset({"racehorse"}), r"\bracehorse\s+{n}"),
    # "Acme is such a good boy"
    (
        frozenset({"boy", "girl"}),
        r"{n}\s+(?:is|was)\s+(?:such\s+a\s+|a\s+)?(?:very\s+)?good\s+(?:boy|girl)\b",
    ),
)
#: "Acme Road": only with the brand's terms (see `_STREET`).
_STREET_SHAPE = (_words_of(_STREET), rf"{{n}}\s+{_STREET}(?![\w-])")

#: Words at least one of which a post must hold for any shape to match: the cheap gate.
CUE_WORDS = frozenset().union(*(words for words, _ in (*_SHAPES, _STREET_SHAPE))) - {"by"}

#: Capitalised words that start sentences rather than name anything.
_NOT_NAMES = (
    "The|This|That|These|Those|It|He|She|They|We|You|I|My|Our|Your|Their|His|Her|There|Here|"
    "What|Which|Who|Where|When|Why|How|And|But|So|Or|If|A|An|Just|Also|Meet|Named|Say|Hi|Hey"
)
#: Without terms: any capitalised name (one word, or CamelCase) that is not a sentence opener.
#: (A capital letter is looked for first: most positions fail there, before the long list.)
_ANY_NAME = (
    rf"(?<![\w@])@?(?=(?-i:[A-Z][a-z]))(?!(?:{_NOT_NAMES})\b)"
    rf"(?-i:[A-Z][a-z]{{2,}}(?:[A-Z][a-z]+)*)(?:['’]s)?(?!\w)"
)


def _term_name(term: str) -> str:
    """One configured term as a name: whole words, any whitespace, `*` for any ending."""
    term = term.strip().strip('"').strip()
    prefix = term.endswith("*")
    words = term.rstrip("*").split()
    if not words:
        return ""
    body = r"\s+".join(re.escape(word) for word in words)
    ending = r"\w*" if prefix else r"(?!\w)"
    return rf"(?<!\w)@?{body}{ending}(?:['’]s)?"


@functools.lru_cache(maxsize=16)
def _shapes_by_word(terms: tuple[str, ...]) -> dict[str, re.Pattern[str]]:
    """For each cue word, the shapes it can cue, compiled into one pattern for these terms
    (or for any capitalised name when there are none), case-insensitively, except that a
    name without terms must be capitalised."""
    names = [name for name in map(_term_name, terms) if name]
    slot = f"(?:{'|'.join(names)})" if names else _ANY_NAME
    shapes = [*_SHAPES, _STREET_SHAPE] if names else list(_SHAPES)
    by_word: dict[str, list[str]] = {}
    for words, shape in shapes:
        for word in words:
            by_word.setdefault(word, []).append(shape.replace("{n}", slot))
    return {word: re.compile("|".join(found), re.IGNORECASE) for word, found in by_word.items()}


_WORD = re.compile(r"[a-z&]+")
#: Every shape fits in this many characters on either side of its cue word.
_REACH = 90


@functools.lru_cache(maxsize=16)
def other_use_matcher(terms: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """`names_something_else` for these terms, compiled once. A shape is only tried around
    a word that can cue it: on a long post, trying every shape from every capitalised word
    would cost milliseconds."""
    shapes = _shapes_by_word(terms)
    cues = frozenset(shapes)

    def matches(text: str) -> bool:
        low = text.lower()
        for word in cues.intersection(_WORD.findall(low)):
            pattern, at = shapes[word], low.find(word)
            while at != -1:
                end = at + len(word)
                if (
                    (at == 0 or not low[at - 1].isalpha())
                    and (end == len(low) or not low[end].isalpha())
                    and pattern.search(text, max(0, at - _REACH), end + _REACH)
                ):
                    return True
                at = low.find(word, end)
        return False

    return matches


def names_something_else(text: str, terms: Sequence[str] = ()) -> bool:
    """Whether `text` uses the brand's name (or, without terms, a name) for something else."""
    return other_use_matcher(tuple(terms))(text)
