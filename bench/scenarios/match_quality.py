"""How good matching's ranking is: precision@5 and recall@10 over the labelled evaluation set
(`tests/matching/evaluation.py`), on the demo directory.

`python -m bench match_quality --size 6` (any size: the bench data is not used). Inside one
transaction that is rolled back at the end, it writes the demo gazetteer, loads the demo
directory (owned by a scheme of its own), builds the services' stored words, and ranks each
person's profile among the demo services only (the bench's synthetic services are left out), so
the bench database is as it was afterwards and the demo database is never touched.

It prints one JSON line per engine: the mean precision@5 and recall@10 and each profile's, and
the time to rank every profile. With the `semantic` extra installed (its embeddings are built
with the stored words) it also ranks with meaning blended into the text factor, as the engine
does when the extra is on. Without the extra it says so.
"""

import json
import sys

from django.db import transaction

from bench.runner import RunConfig, emit, measure
from linkwell.core.models import Scheme
from linkwell.directory.demo import load_demo_directory
from linkwell.directory.models import Service
from linkwell.geo.demo import write_demo_gazetteer
from linkwell.matching import engine, semantic
from linkwell.matching.services import match_text_refresh
from tests.matching.evaluation import PEOPLE, evaluate, profile_of

SLUG = "bench-match-quality"


class _RollBack(Exception):
    pass


def _print(config: RunConfig, label: str, scores: dict) -> None:
    line = {
        "scenario": config.scenario,
        "engine": label,
        "profiles": len(scores["profiles"]),
        "precision_at_5": round(scores["precision_at_5"], 3),
        "recall_at_10": round(scores["recall_at_10"], 3),
        "per_profile": {
            key: [round(v["precision_at_5"], 2), round(v["recall_at_10"], 2)]
            for key, v in scores["profiles"].items()
        },
    }
    print(json.dumps(line), flush=True)


def _ranked(services, profiles, scheme_id, *, meaning: bool) -> dict[str, engine.MatchResult]:
    return {
        key: engine.match_services(services, profile, scheme_id=scheme_id, use_semantic=meaning)
        for key, profile in profiles.items()
    }


def run(config: RunConfig) -> None:
    try:
        with transaction.atomic():
            scheme = Scheme.objects.create(name="Match quality (bench)", slug=SLUG)
            write_demo_gazetteer()
            load_demo_directory(scheme=scheme)
            services = Service.objects.filter(owner_scheme=scheme)
            match_text_refresh(service_ids=list(services.values_list("pk", flat=True)))
            profiles = {p.key: profile_of(p) for p in PEOPLE}

            results = _ranked(services, profiles, scheme.pk, meaning=False)
            _print(
                config,
                "lexical",
                evaluate({k: [m.name for m in r.matches] for k, r in results.items()}),
            )
            timing = measure(
                lambda: _ranked(services, profiles, scheme.pk, meaning=False),
                runs=min(config.runs, 5),
                warmup=min(config.warmup, 1),
            )
            emit(config, f"match_all_{len(profiles)}_profiles", timing)

            if semantic.is_available():
                results = _ranked(services, profiles, scheme.pk, meaning=True)
                _print(
                    config,
                    "lexical+semantic",
                    evaluate({k: [m.name for m in r.matches] for k, r in results.items()}),
                )
                timing = measure(
                    lambda: _ranked(services, profiles, scheme.pk, meaning=True),
                    runs=min(config.runs, 5),
                    warmup=min(config.warmup, 1),
                )
                emit(config, f"match_all_{len(profiles)}_profiles_semantic", timing)
            else:
                print(
                    f"match_quality: the semantic extra is not installed ({semantic.INSTALL_HINT})"
                    "; lexical only.",
                    file=sys.stderr,
                    flush=True,
                )
                print(json.dumps({"scenario": config.scenario, "semantic": "not installed"}))
            raise _RollBack
    except _RollBack:
        pass
