"""Each shipped example maps its upstream payload to the event its docs describe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from multidict import CIMultiDict

from adapters.declared.adapter import DeclaredAdapter
from adapters.declared.load import load_sources, parse_sources
from adapters.registry import SOURCES
from hub.core.errors import BadPayload, UnsupportedMediaType
from hub.core.event import Event
from hub.core.sources import WebhookRequest
from tests.paths import FIXTURES, REPO

EXAMPLES = REPO / "examples" / "sources"
RECEIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _adapter(example: str, name: str) -> DeclaredAdapter:
    return DeclaredAdapter(load_sources(EXAMPLES / example, SOURCES)[name])


def _event(adapter: DeclaredAdapter, fixture: str, headers: dict[str, str] | None = None) -> Event:
    request = WebhookRequest(
        CIMultiDict({"Content-Type": "application/json", **(headers or {})}),
        (FIXTURES / fixture).read_bytes(),
        RECEIVED,
    )
    return adapter.normalize(request)


def _fields(event: Event) -> dict[str, Any]:
    return event.model_dump(mode="json", exclude={"data", "receivedat", "id"})


def test_gitlab_failed_pipeline() -> None:
    """GitLab's pipeline hook: a failed pipeline is an error on its branch, in its own thread."""
    event = _event(
        _adapter("gitlab.yaml", "gitlab"),
        "gitlab/pipeline.failed.json",
        {"X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Event-UUID": "9cd1d3ea-4d8e-4b5b"},
    )
    assert event.id == "gitlab:9cd1d3ea-4d8e-4b5b"
    assert _fields(event) == {
        "source": "gitlab",
        "type": "gitlab.pipeline.failed",
        "time": "2016-08-12T15:26:29Z",
        "severity": "error",
        "state": "failed",
        "subject": "gitlab-org/gitlab-test pipeline #31",
        "threadkey": "gitlab:pipeline:1:31",
        "title": "Pipeline #31 failed on master",
        "text": "Failed jobs: test-build",
        "url": "http://example.com/gitlab-org/gitlab-test/-/pipelines/31",
        "actor": "root",
        "repo": "gitlab-org/gitlab-test",
        "branch": "master",
        "labels": {"event": "Pipeline Hook", "pipeline_source": "merge_request_event"},
    }


@pytest.mark.parametrize(
    ("fixture", "type_", "severity", "state"),
    [
        ("gitlab/pipeline.running.json", "gitlab.pipeline.running", "info", "running"),
        ("gitlab/pipeline.failed.json", "gitlab.pipeline.failed", "error", "failed"),
        ("gitlab/pipeline.success.json", "gitlab.pipeline.success", "success", "passed"),
    ],
)
def test_gitlab_pipeline_states_share_one_thread(
    fixture: str, type_: str, severity: str, state: str
) -> None:
    """Running, failed and passed of one pipeline have one threadkey and say their state."""
    event = _event(_adapter("gitlab.yaml", "gitlab"), fixture)
    assert (event.type, event.severity, event.state) == (type_, severity, state)
    assert event.threadkey == "gitlab:pipeline:1:31"


def test_gitlab_merge_request() -> None:
    """GitLab's merge request hook: the MR as subject, its target branch, its source branch."""
    event = _event(_adapter("gitlab.yaml", "gitlab"), "gitlab/merge_request.open.json")
    assert _fields(event) == {
        "source": "gitlab",
        "type": "gitlab.merge_request.open",
        "time": "2013-12-03T17:23:34Z",
        "severity": "info",
        "state": "opened",
        "subject": "gitlabhq/gitlab-test!1",
        "threadkey": "gitlab:merge_request:1:99",
        "title": "Merge request !1 open: MS-Viewport",
        "text": "",
        "url": "http://example.com/diaspora/merge_requests/1",
        "actor": "root",
        "repo": "gitlabhq/gitlab-test",
        "branch": "master",
        "labels": {"head_branch": "ms-viewport", "draft": "false"},
    }


def test_jenkins_notification_plugin_build() -> None:
    """The Notification plugin's JSON: a completed successful build of its job and number."""
    event = _event(_adapter("jenkins.yaml", "jenkins"), "jenkins/build.completed-success.json")
    assert _fields(event) == {
        "source": "jenkins",
        "type": "jenkins.build.completed.success",
        "time": "2026-01-02T03:04:05Z",  # the plugin's example has no timestamp: received
        "severity": "success",
        "state": "passed",
        "subject": "asgard #18",
        "threadkey": "jenkins:asgard:18",
        "title": "asgard #18 SUCCESS",
        "text": "Artifacts: asgard.war, asgard-standalone.jar",
        "url": "http://localhost:8080/job/asgard/18/",
        "actor": None,
        "repo": None,
        "branch": "origin/master",
        "labels": {
            "job": "asgard",
            "phase": "COMPLETED",
            "commit": "c6d86dc654b12425e706bcf951adfe5a8627a517",
        },
    }


def test_docker_hub_push() -> None:
    """Docker Hub's push payload: image and tag, pusher, push time from the epoch seconds."""
    event = _event(_adapter("dockerhub.yaml", "dockerhub"), "dockerhub/push.json")
    assert _fields(event) == {
        "source": "dockerhub",
        "type": "dockerhub.push",
        "time": "2014-12-03T00:22:41Z",
        "severity": "info",
        "state": None,
        "subject": "svendowideit/testhook:latest",
        "threadkey": None,
        "title": "Pushed svendowideit/testhook:latest by trustedbuilder",
        "text": "",
        "url": "https://registry.hub.docker.com/u/svendowideit/testhook/",
        "actor": "trustedbuilder",
        "repo": "svendowideit/testhook",
        "branch": None,
        "labels": {"tag": "latest", "namespace": "svendowideit", "private": "true"},
    }


def test_elastalert_http_post_alert() -> None:
    """ElastAlert 2's HTTP POST body (match, payload and static payload): a warning of its rule."""
    event = _event(_adapter("elastalert.yaml", "elastalert"), "elastalert/alert.all-values.json")
    assert _fields(event) == {
        "source": "elastalert",
        "type": "elastalert.alert",
        "time": "2017-01-01T00:00:00Z",
        "severity": "warning",
        "state": None,
        "subject": "somestaticname",
        "threadkey": None,
        "title": "somestaticname: foobarbaz",
        "text": "foobarbaz",
        "url": None,
        "actor": None,
        "repo": None,
        "branch": None,
        "labels": {"rule": "somestaticname"},
    }


def test_kibana_webhook_connector_alert() -> None:
    """Kibana's webhook body (the example's template): the alert, threaded by rule and alert id."""
    event = _event(_adapter("kibana.yaml", "kibana"), "kibana/rule.active.json")
    assert _fields(event) == {
        "source": "kibana",
        "type": "kibana.alert.query_matched",
        "time": "2023-04-27T22:40:34.153000Z",
        "severity": "warning",
        "state": "active",
        "subject": "esq / host-2",
        "threadkey": "kibana:esq:host-2",
        "title": "rule 'esq' matched query for group host-2",
        "text": 'Number of matching documents for group "host-2" is less than 1000',
        "url": "https://example.com/this-will-link-to-Discover",
        "actor": None,
        "repo": None,
        "branch": None,
        "labels": {"rule": "esq", "alert": "host-2", "action_group": "query matched"},
    }


def _inline(fields: str) -> DeclaredAdapter:
    text = "version: 1\nsources:\n  ci:\n    verify: {kind: token, secret: HUB_CI}\n    fields:\n"
    return DeclaredAdapter(parse_sources(text + fields, SOURCES)["ci"])


def _normalize(
    adapter: DeclaredAdapter, body: bytes, content_type: str = "application/json"
) -> Event:
    return adapter.normalize(
        WebhookRequest(CIMultiDict({"Content-Type": content_type}), body, RECEIVED)
    )


def test_without_an_id_the_event_id_is_a_stable_hash_of_source_and_body() -> None:
    """No id expression: the same body gives the same id (a redelivery is a duplicate)."""
    adapter = _inline('      type: "\'build\'"\n      title: "name"\n')
    first = _normalize(adapter, b'{"name": "a"}')
    assert first.id == _normalize(adapter, b'{"name": "a"}').id
    assert first.id != _normalize(adapter, b'{"name": "b"}').id


def test_the_type_is_prefixed_lowercased_and_slugged() -> None:
    """Whatever the expression gives becomes `<name>.<segments>` in lowercase snake case."""
    adapter = _inline('      type: "kind"\n      title: "kind"\n')
    assert _normalize(adapter, b'{"kind": "Build.Still Failing"}').type == "ci.build.still_failing"


def test_a_body_without_a_type_is_refused() -> None:
    """A body the type expression finds nothing in is a 400 naming the expression."""
    adapter = _inline('      type: "kind"\n      title: "kind"\n')
    with pytest.raises(BadPayload, match="the ci type expression 'kind' gave no value"):
        _normalize(adapter, b'{"other": 1}')


def test_a_body_that_is_not_json_is_refused() -> None:
    """A declared source takes JSON objects only: form bodies are 415, broken JSON 400."""
    adapter = _inline('      type: "kind"\n      title: "kind"\n')
    with pytest.raises(UnsupportedMediaType):
        _normalize(adapter, b"kind=x", "application/x-www-form-urlencoded")
    with pytest.raises(BadPayload):
        _normalize(adapter, b'{"kind": ')


def test_text_is_escaped_and_urls_must_be_web_links() -> None:
    """Body text cannot inject Slack markup, and only http(s) URLs become links."""
    adapter = _inline('      type: "\'x\'"\n      title: "t"\n      text: "t"\n      url: "u"\n')
    event = _normalize(adapter, b'{"t": "<!channel> & co", "u": "javascript:alert(1)"}')
    assert event.text == "&lt;!channel&gt; &amp; co"
    assert event.url is None
