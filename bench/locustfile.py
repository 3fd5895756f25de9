"""Locust load for hub, for teams that use Locust: the shared fixtures, signed, unique ids.

    python -m bench.locustfile --write-travis-key travis.pem     # once: a Travis signing key
    HUB_GITHUB_SECRET=test-github-secret HUB_SENTRY_CLIENT_SECRET=test-sentry-client-secret \\
      HUB_KAPACITOR_TOKEN=test-kapacitor-token HUB_TRAVIS_PUBLIC_KEY=travis.pem hub run &
    HUB_BENCH_TRAVIS_KEY=travis.pem.key \\
      locust -f bench/locustfile.py --host http://127.0.0.1:8080 --headless -u 64 -r 16 -t 30s

The secrets are the test suite's (tests/signing.py); Travis posts are signed with the private
key in $HUB_BENCH_TRAVIS_KEY, whose public half hub trusts. The bench's own figures come from
wrk (bench/wrk.lua): this file sends the same traffic with Locust's reporting.
"""

from __future__ import annotations

import itertools
import os
import sys
import uuid
from pathlib import Path

from locust import FastHttpUser, constant, task

from bench import corpus

_RUN = int(uuid.uuid4().int % 10**6) * 10**6
"""Numbers ids from a random base, so repeated Locust runs do not collide on delivery ids."""
_COUNTER = itertools.count()


def _use_fixed_travis_key() -> None:
    """Sign Travis posts with the private key in $HUB_BENCH_TRAVIS_KEY, when it is set."""
    path = os.environ.get("HUB_BENCH_TRAVIS_KEY")
    if not path:
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from hub.testing import signing

    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey), f"{path} is not an RSA private key"
    signing.travis_key = lambda: key  # type: ignore[assignment]  # the key hub was given


class WebhookSender(FastHttpUser):
    """One sender posting fixture after fixture, each with a delivery id of its own."""

    wait_time = constant(0)
    templates = corpus.templates()

    @task
    def post_fixture(self) -> None:
        """POST the next fixture; anything but 202 is a failure."""
        n = _RUN + next(_COUNTER)
        signed = self.templates[n % len(self.templates)].render(n)
        with self.client.post(
            signed.path,
            data=signed.body,  # type: ignore[arg-type]  # bytes: the signature covers them
            headers=signed.headers,
            name=signed.path,
            catch_response=True,
        ) as resp:
            if resp.status_code != 202:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:200]}")


def main() -> None:
    """--write-travis-key FILE: write a private key for HUB_BENCH_TRAVIS_KEY and its public PEM."""
    if len(sys.argv) != 3 or sys.argv[1] != "--write-travis-key":
        sys.exit(__doc__)
    from cryptography.hazmat.primitives import serialization

    from hub.testing import signing

    key = signing.travis_key()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    Path(sys.argv[2] + ".key").write_bytes(private)
    Path(sys.argv[2]).write_text(signing.travis_public_pem())
    print(f"hub: HUB_TRAVIS_PUBLIC_KEY={sys.argv[2]}")
    print(f"locust: HUB_BENCH_TRAVIS_KEY={sys.argv[2]}.key")


_use_fixed_travis_key()

if __name__ == "__main__":
    main()
