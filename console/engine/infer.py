"""Which provider a request file is for, read from its lines' `url` fields.

`estimate` without `--provider`: OpenAI-style lines name an endpoint (`/v1/chat/completions`),
and every adapter lists the endpoints it accepts, so the registry (never a provider name in
this code) tells which provider the file was written for. Lines without a url (Anthropic's
`{custom_id, params}`) say nothing; then the operator is asked to name one.
"""

from __future__ import annotations

import json
from pathlib import Path

from console.engine.types import BadInput

LINES_READ = 1000
"""Lines looked at: enough to see every endpoint a real file mixes, bounded for huge files."""


def infer_provider(path: Path) -> str:
    """The one provider whose endpoints cover every `url` in the file's first lines."""
    import adapters

    urls: set[str] = set()
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f):
                if number >= LINES_READ:
                    break
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # the estimate itself names bad lines
                url = record.get("url") if isinstance(record, dict) else None
                if isinstance(url, str) and url:
                    urls.add(url.split("?")[0])
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    names = adapters.providers()
    if not urls:
        raise BadInput(f"{path} names no endpoint url in its lines, so the provider is unknown; "
                       f"pass --provider ({', '.join(names)})")
    fits = [name for name in names
            if urls <= set(adapters.adapter_class(name).capabilities.endpoints)]
    if len(fits) != 1:
        seen = ", ".join(sorted(urls))
        raise BadInput(f"the urls in {path} ({seen}) do not point to exactly one provider; "
                       f"pass --provider ({', '.join(names)})")
    return fits[0]
