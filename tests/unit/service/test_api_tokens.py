from __future__ import annotations

import pytest

from irp.api.auth import ApiTokens
from irp.config.secrets import SecretResolver
from irp.errors import ConfigErrors

OPS = "ops-0123456789abcdef0123456789"
CI = "ci-fedcba9876543210fedcba987654"


def parse(text: str, **environ: str) -> ApiTokens:
    return ApiTokens.parse(text, SecretResolver(environ=environ))


def test_each_token_is_known_by_its_name_and_nothing_else_is() -> None:
    tokens = parse(f"ops:{OPS}, ci:${{CI_TOKEN}}", CI_TOKEN=CI)
    assert tokens.names == ["ops", "ci"]
    assert tokens.identify(OPS) == "ops"
    assert tokens.identify(CI) == "ci"
    assert tokens.identify(OPS[:-1]) is None
    assert tokens.identify("") is None
    assert tokens.secrets == {OPS, CI}


def test_no_tokens_refuses_everything() -> None:
    tokens = parse("")
    assert tokens.names == []
    assert tokens.identify(OPS) is None


def test_every_mistake_is_reported_at_once_without_the_secret() -> None:
    with pytest.raises(ConfigErrors) as refused:
        parse(f"ops:{OPS},nocolon,ci:short,dup:{OPS},ops:{CI},x:XXXXXXXXXXXXXXXXXXX,y:${{MISSING}}")
    assert [str(e) for e in refused.value.errors] == [
        "IRP_API_TOKENS[1]: expected name:token (a name of letters, digits, '.', '@', '-', '_')",
        "IRP_API_TOKENS.ci: the token is shorter than 16 characters; use a random one, e.g. "
        "`openssl rand -hex 32`",
        "IRP_API_TOKENS.dup: the same token is given to another name; each needs its own",
        "IRP_API_TOKENS.ops: the name is given twice",
        "IRP_API_TOKENS.x.token: still the placeholder XXXX…; set it with ${X_TOKEN} "
        "or op://vault/item/field",
        "IRP_API_TOKENS.y.token: ${MISSING} is not set",
    ]
    assert OPS not in str(refused.value)
