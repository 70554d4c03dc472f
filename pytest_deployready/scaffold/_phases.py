"""The phase vocabulary of checklists: which words of a heading or label name which phase.

Words are matched on folded text (lower case, accents removed), in English, Spanish, Portuguese,
German and French. A *qualified* name says on which side of the deployment it is (pre-deployment,
after go-live, T-1 day, rollback, "Vor dem Deployment"); a *generic* one only suggests a phase
(smoke tests, monitoring, set-up, go-live, week 2). Qualified names win over generic ones
anywhere below them in the document (see :mod:`._parse`).

Example::

    heading_phase("Pre-Go-Live Checklist")        # ('pre', True)
    heading_phase("Después del despliegue")       # ('post', True)
    heading_phase("Monitoring")                   # ('post', False)
    heading_phase("Deployment Method Selection")  # ('pre', False)
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "NON_ITEM_KINDS",
    "QUALIFIED",
    "fold",
    "heading_phase",
    "is_choice_label",
    "is_trigger",
    "item_is_trigger",
    "launch_words",
    "non_item_kind",
    "phase_strength",
    "time_range",
]


def fold(text: str) -> str:
    """Lower case without accents and with plain dashes: ``fold("Pré-Déploiement")``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return text.casefold().replace("ß", "ss")


_DEP = (
    r"(?:deploy(?:ment|ing|s)?|release|rollout|roll-out|launch|go[\s-]?live|cut[\s-]?over"
    r"|despliegue|implantacao|implementacao|implementacion|lanzamiento|lancamento|lancement"
    r"|bereitstellung|deploiement|mise en (?:production|ligne)|puesta en produccion"
    r"|producao|produccion|produktion|umstellung|livraison|entrega)"
)
_NUM = r"(?:\d+|one|two|three|four|five|six|seven)"

_QUALIFIED: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "rollback",
        re.compile(
            r"\broll(?:ed|ing)?[\s-]?backs?\b|\bback[\s-]?out\b|\brevert(?:ir|er)?\b|\breversao\b"
            r"|\breversion\b|\bzuruck(?:rollen|setzen)\b|\bruckfall\w*|\bruckabwicklung\b"
            r"|\bretour (?:arriere|en arriere)\b|\brevenir en arriere\b|\bmarcha atras\b",
        ),
    ),
    (
        "deploy",
        re.compile(
            r"\bt\s*[-+]?\s*0\b(?![.,]\d)|\bd[\s-]?day\b|\bday\s+0\b"
            r"|\b(?:launch|go[\s-]?live|release|cut[\s-]?over|deployment)\s+day\b"
            r"|\bdia do (?:deploy|lancamento)\b|\bdia del (?:despliegue|lanzamiento)\b"
            r"|\bjour (?:j|du deploiement|du lancement)\b",
        ),
    ),
    (
        "pre",
        re.compile(
            rf"\bpre[\s-]?(?:{_DEP}|flight|prod(?:uction)?)\b|\bbefore\s+(?:the\s+)?{_DEP}"
            rf"|\bprior\s+to\s+(?:the\s+)?{_DEP}|\bantes\s+(?:de\s+la|del?|da|do|de)\s+{_DEP}"
            rf"|\bprevio\s+al?\s+{_DEP}|\bvor\s+(?:dem|der|den)\s+{_DEP}"
            rf"|\bavant\s+(?:le|la|l')\s*{_DEP}|\bt\s*-\s*[1-9]\d*\b|\bd\s*-\s*[1-9]\d*\b"
            rf"|\bday\s*-\s*[1-9]|\b{_NUM}\s+(?:days?|weeks?|hours?)\s+before\b"
            r"|\bvorab\b|\bvorbereitung\w*",
        ),
    ),
    (
        "post",
        re.compile(
            rf"\bpost?[\s-]?(?:{_DEP}|prod(?:uction)?)\b|\bafter\s+(?:the\s+)?{_DEP}"
            rf"|\bfollowing\s+(?:the\s+)?{_DEP}|\b(?:despues|depois)\s+(?:de\s+la|del?|da|do)\s+{_DEP}"
            rf"|\bapos\s+(?:o|a)\s+{_DEP}|\bnach\s+(?:dem|der|den)\s+{_DEP}"
            rf"|\bapres\s+(?:le|la|l')\s*{_DEP}|\bt\s*\+\s*[1-9]\d*|\bd\s*\+\s*[1-9]\d*"
            rf"|\b{_NUM}\s+(?:minutes?|hours?|days?|weeks?)\s+after\b"
            r"|\bnachbereitung\b|\bhypercare\b",
        ),
    ),
)

#: Generic phase words, first match wins within one heading. Strength 1 names an event that
#: places a heading on the time line even below a qualified heading (go-live, smoke tests,
#: first hour, success criteria); strength 0 names an activity that can happen in any phase
#: (monitoring, set-up, verification) and yields to a qualified heading above it.
_GENERIC: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    (
        "post",
        1,
        re.compile(
            r"\bsmoke[\s-]?tests?\b|\bsanity[\s-]?checks?\b|\bpruebas de humo\b"
            r"|\btestes de fumaca\b|\brauchtests?\b|\btests? de fumee\b",
        ),
    ),
    (
        "post",
        1,
        re.compile(
            r"\b(?:first|within|next)\s+(?:\d+\s*)?(?:minutes?|hours?|days?|weeks?)\b"
            r"|\b\d+(?:\s*-\s*\d+)?\s*(?:hours|h)\b|\bhour\s+1\b"
            r"|\bprimer[ao]s?\s+(?:\d+\s*)?(?:horas?|dias?|semanas?|minutos?)\b"
            r"|\berste[nr]?\s+(?:\d+\s*)?(?:stunden?|tage?|wochen?)\b"
            r"|\bpremier(?:e|es|s)?\s+(?:\d+\s*)?(?:heures?|jours?|semaines?)\b",
        ),
    ),
    ("post", 0, re.compile(r"\bverif(?:y|ication|ying|icacion|icacao)\b|\buberprufung\b")),
    (
        "deploy",
        0,
        re.compile(
            r"\b(?:set\s?up|install\w*|configur\w*|enabl\w*|migrations?|einrichtung"
            r"|instalacion|instalacao|configuracion|configuracao|konfiguration)\b",
        ),
    ),
    (
        "post",
        1,
        re.compile(
            r"\bsuccess\s+(?:criteria|metrics)\b|\bis\s+(?:successful|complete)\b"
            r"|\bas\s+(?:successful|complete)\b|\bretrospective\b|\bpost[\s-]?mortem\b"
            r"|\bmetricas de (?:exito|sucesso)\b|\bcriterios de (?:exito|sucesso)\b"
            r"|\berfolgs(?:kriterien|metriken)\b|\bcriteres de (?:succes|reussite)\b",
        ),
    ),
    (
        "post",
        0,
        re.compile(
            r"\bmonitor\w*|\bobservation\b|\bmaintenance\b|\bongoing\b|\bfollow[\s-]?up\b"
            r"|\bmonitoreo\b|\bmonitorizacion\b|\bmonitoramento\b|\buberwachung\b|\bsurveillance\b"
            r"|\bsupervision\b|\bseguimiento\b|\bacompanhamento\b|\bsuivi\b",
        ),
    ),
    (
        "pre",
        0,
        re.compile(
            r"\b(?:readiness|prerequisites?|preparation|prepare|planning|plan|requirements?"
            r"|selection|strategy|approvals?|code review|freeze|preparacion|preparacao"
            r"|requisitos|pre-?requisitos|planificacion|planejamento|voraussetzungen|planung"
            r"|anforderungen|prerequis|planification|exigences|checkliste vorab)\b",
        ),
    ),
    (
        "deploy",
        1,
        re.compile(
            r"\b(?:go[\s-]?live|launch|cut[\s-]?over|lanzamiento|lancamento|lancement"
            r"|puesta en produccion|mise en production|mise en ligne|umstellung)\b"
        ),
    ),
    (
        "deploy",
        0,
        re.compile(
            rf"\b(?:{_DEP}|roll[\s-]?outs?|(?:day|week|dia|semana|tag|woche|jour|semaine)"
            r"\s+[1-9]\d*|ausrollen|einfuhrung)\b",
        ),
    ),
    ("pre", 0, re.compile(r"\b(?:validation|validacion|validacao|validierung)\b")),
)

_TRIGGER = re.compile(
    r"\bwhen\s+to\s+roll[\s-]?back\b|\broll[\s-]?back\s+(?:criteria|triggers?|conditions?|if"
    r"|when|thresholds?|signals?)\b|\btrigger\s+(?:a\s+)?roll[\s-]?back\b"
    r"|\babort\s+(?:criteria|if|when|conditions?)\b|\bno[\s-]?go\s+(?:criteria|triggers?)\b"
    r"|\bquando\s+(?:fazer\s+)?(?:o\s+)?(?:rollback|reverter)\b"
    r"|\bcriterios?\s+(?:de|para)\s+(?:o\s+|el\s+)?(?:rollback|reversao|reversion|reverter|revertir)"
    r"|\bcuando\s+(?:hacer\s+(?:el\s+)?)?(?:rollback|revertir)\b"
    r"|\brollback[\s-]?(?:kriterien|ausloser)\b|\bwann\s+(?:ein\s+)?(?:rollback|zuruckrollen)\b"
    r"|\bkriterien\s+fur\s+(?:einen\s+|den\s+)?rollback\b"
    r"|\bcriteres?\s+de\s+(?:rollback|retour arriere)\b"
    r"|\bquand\s+(?:faire\s+(?:un\s+)?rollback|revenir en arriere)\b"
    r"|\b(?:disparadores|gatilhos|declencheurs)\s+de\s+(?:rollback|reversao|reversion)\b"
    r"|\bsi\s+(?:hay\s+que\s+)?revertir\b",
)


def heading_phase(heading: str) -> tuple[str, bool] | None:
    """The phase a heading or label names and whether the name is qualified; None if none.

    Example::

        heading_phase("Pre-Deployment Checklist")   # ('pre', True)
        heading_phase("Step 4: Smoke Tests")        # ('post', False)
        heading_phase("Environment Setup")          # ('deploy', False)
    """
    found = phase_strength(heading)
    return None if found is None else (found[0], found[1] == QUALIFIED)


#: :func:`phase_strength` of a qualified phase name
QUALIFIED = 2


def phase_strength(heading: str) -> tuple[str, int] | None:
    """The phase a heading names and how strongly: 2 qualified, 1 event, 0 activity.

    Example::

        phase_strength("Pre-Go-Live")   # ('pre', 2)
        phase_strength("Go-Live")       # ('deploy', 1): beats "Pre-Deployment Checklist" above
        phase_strength("Monitoring")    # ('post', 0): yields to "Pre-Deployment Checklist" above
    """
    text = fold(heading)
    for phase, pattern in _QUALIFIED:
        if pattern.search(text):
            return phase, QUALIFIED
    for phase, strength, pattern in _GENERIC:
        if pattern.search(text):
            return phase, strength
    return None


def is_trigger(text: str) -> bool:
    """True when a heading, label or item names rollback criteria: "Roll back if", "Rollback
    triggers", "Quando fazer rollback", "Rollback-Kriterien"."""
    return bool(_TRIGGER.search(fold(text)))


_ITEM_TRIGGER = re.compile(
    r"^(?:roll[\s-]?back|revert|abort)\s+(?:if|when|on)\b|^rollback\s+if\b"
    r"|\broll[\s-]?back\s+if\b|^(?:reverter|revertir|rollback)\s+(?:se|si|wenn|falls)\b"
)


def item_is_trigger(text: str) -> bool:
    """An item that is itself a rollback criterion: "Roll back if error rate > 5 %"."""
    return bool(_ITEM_TRIGGER.search(fold(text).strip()))


# -- blocks that hold no checks -----------------------------------------------------------------

NON_ITEM_KINDS = ("troubleshooting", "sample output", "go/no-go branch", "reference")

_NON_ITEM: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "go/no-go branch",
        re.compile(
            r"^\W*(?:if|when|si|se|wenn|falls)\s+(?:(?:it'?s|we|the decision is)\s+)?"
            r"(?:a\s+)?(?:go|no[\s-]?go|nogo)\b"
        ),
    ),
    (
        "troubleshooting",
        re.compile(
            r"\btroubleshoot\w*|\bcommon\s+(?:issues|problems|errors|pitfalls)\b"
            r"|\bknown\s+issues\b|\bfaq\b|^\W*(?:issue|problem|symptom|error)\s*:"
            r"|^\W*if\s+.*\b(?:fails?|failed|failing|errors?|does\s?n[o']t|won'?t|doesn'?t"
            r"|not\s+\w+|times?\s+out|is\s+(?:down|slow|unhealthy)|breaks?|hangs?)\b"
            r"|\bsolucion de problemas\b|\bresolucao de problemas\b|\bsolucao de problemas\b"
            r"|\bfehlerbehebung\b|\bdepannage\b|\bproblemas comunes\b|\bproblemas comuns\b"
            r"|^\W*(?:si|se|wenn|falls)\s+.*\b(?:falla|fallan|falha|falham|fehlschlag\w*"
            r"|echoue\w*)\b",
        ),
    ),
    (
        "sample output",
        re.compile(
            r"\b(?:expected|sample|example)\s+(?:output|result|results|response)\b"
            r"|^\W*output\W*$|\bsalida esperada\b|\bsaida esperada\b|\berwartete ausgabe\b"
            r"|\bsortie attendue\b|\bresultado esperado\b|\bbeispielausgabe\b",
        ),
    ),
    (
        "reference",
        re.compile(
            r"\b(?:contacts?|references?|resources|links|glossary|appendix|table of contents"
            r"|changelog|revision history|contatos|contactos|kontakte|ansprechpartner"
            r"|referencias|notes?|overview|background|about|purpose|scope|timeline|schedule"
            r"|escalation)\b",
        ),
    ),
)


def non_item_kind(text: str) -> str | None:
    """Which kind of non-check block a heading or label opens, or None.

    Troubleshooting ("If health checks fail"), sample output ("Expected output"), go/no-go
    branches ("If NO-GO") hold no checks at all; a reference block (contacts, notes, overview)
    holds no plain-list checks (its checkboxes still count).
    """
    text = fold(text).strip()
    for kind, pattern in _NON_ITEM:
        if pattern.search(text):
            return kind
    return None


_CHOICE = re.compile(
    r"\b(?:choose|select|pick|one of|either|which|elige|escolha|escolher|selecione|seleccione"
    r"|wahlen|auswahl|choisir|choisissez)\b|\?\s*:?\s*$|\b(?:public|private)\s*/\s*(?:private|public)"
    r"|\b(?:status|outcome|result|decision|verdict|visibility|issues encountered)\s*:?\s*$"
    r"|^\W*(?:final|overall)\s+(?:status|result|outcome)\b"
)


def is_choice_label(text: str) -> bool:
    """A label that asks for one of its children: "Choose one:", "Visibility?"."""
    return bool(_CHOICE.search(fold(text)))


_LAUNCH = re.compile(
    r"\b(?:launch|go[\s-]?live|cut[\s-]?over|lanzamiento|lancamento|lancement"
    r"|mise en production|puesta en produccion|release day)\b"
)


def launch_words(text: str) -> bool:
    """True when a heading names the launch itself: "Day 17: Go-Live", "Week 3 - Launch"."""
    return bool(_LAUNCH.search(fold(text)))


_DAY = re.compile(
    r"\b(?P<unit>day|dia|tag|jour|week|semana|woche|semaine)s?\s+(?P<a>\d+)"
    r"(?:\s*(?:-|to|a|bis)\s*(?P<b>\d+))?\b"
)


def time_range(text: str) -> tuple[int, int] | None:
    """Days covered by "day 17", "days 3-5", "week 2" (days 8-14); None without one."""
    m = _DAY.search(fold(text))
    if not m:
        return None
    a = int(m.group("a"))
    b = int(m.group("b") or a)
    if m.group("unit") in ("week", "semana", "woche", "semaine"):
        return 7 * (a - 1) + 1, 7 * b
    return a, b
