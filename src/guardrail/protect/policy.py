"""Loading ``protect.yaml`` and the keyring it (or the command line) names."""

from __future__ import annotations

from pathlib import Path

from guardrail.crypto import Keyring, LocalKMS
from guardrail.errors import ConfigError, ManifestError
from guardrail.model.protect import ProtectPolicy
from guardrail.yamlio import load_yaml, validate

__all__ = ["load_keyring", "load_policy", "resolve_store_url"]


def load_policy(path: str | Path) -> ProtectPolicy:
    """Parse and validate a protect policy; errors name the file and line.

    Relative paths in the policy (keyring file, KMS file, a SQLite key store) are made
    absolute against the policy's folder.
    """
    p = Path(path)
    try:
        policy = validate(ProtectPolicy, load_yaml(p), what="protect policy")
    except ManifestError as exc:
        raise ConfigError(
            exc.message, hint="see docs/protection.md for the policy format"
        ) from None
    base = p.resolve().parent
    update: dict[str, object] = {}
    if policy.shred_store:
        update["shred_store"] = resolve_store_url(policy.shred_store, base)
    if policy.keyring is not None:
        ks = policy.keyring
        update["keyring"] = ks.model_copy(
            update={
                "file": str(base / ks.file) if ks.file else None,
                "kms": str(base / ks.kms) if ks.kms else None,
            }
        )
    return policy.model_copy(update=update) if update else policy


def load_keyring(
    *,
    file: str | Path | None = None,
    env: str | None = None,
    kms: str | Path | None = None,
    policy: ProtectPolicy | None = None,
    policy_dir: Path | None = None,
) -> Keyring | None:
    """The keyring from explicit options, else from the policy's ``keyring:``; ``None`` if
    neither names one."""
    base = policy_dir or Path()
    source = policy.keyring if policy is not None else None
    if file is None and env is None and source is not None:
        file = (base / source.file) if source.file else None
        env = source.env
        if kms is None and source.kms:
            kms = base / source.kms
    the_kms = LocalKMS(kms) if kms is not None else None
    if file is not None and env is not None:
        raise ConfigError("give the keyring as a file or an environment variable, not both")
    if file is not None:
        return Keyring.from_file(file, kms=the_kms)
    if env is not None:
        return Keyring.from_env(env, kms=the_kms)
    return None


def resolve_store_url(url: str, policy_dir: Path) -> str:
    """A ``sqlite:///relative.db`` key-store URL made relative to the policy's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
        return prefix + str(policy_dir / url[len(prefix) :])
    return url
