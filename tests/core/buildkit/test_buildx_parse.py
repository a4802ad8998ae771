"""buildx output parsers on the examples of the reference (recorded outputs: test_fixtures.py)."""

from __future__ import annotations

from uvcache_tui.core.buildkit.buildx import (
    parse_buildx_version,
    parse_du_json,
    parse_du_verbose,
    parse_ls_json,
    parse_ls_table,
    parse_prune_output,
    prune_args,
)

LS_013_JSON_LINE = (
    '{"Name":"default","Driver":"docker","LastActivity":"2026-11-29T07:22:22Z","Dynamic":false,'
    '"Nodes":[{"Name":"default","Endpoint":"default","Status":"running",'
    '"Version":"v0.8+unknown","IDs":["moby"],"Platforms":["linux/amd64","linux/386"]}]}'
)

LS_013_TABLE = """\
NAME/NODE     DRIVER/ENDPOINT   STATUS    BUILDKIT       PLATFORMS
default*      docker
 \\_ default    \\_ default       running   v0.8+unknown   linux/amd64, linux/386
"""

LS_OLD_TABLE = """\
NAME/NODE       DRIVER/ENDPOINT             STATUS  BUILDKIT PLATFORMS
mybuilder *     docker-container
  mybuilder0    unix:///var/run/docker.sock running v0.10.5  linux/amd64
default         docker
  default       default                     running 20.10.24 linux/amd64, linux/386
"""

DU_013_VERBOSE = """\
ID:\t\t3gde7kz459tr6w1mrmrd1yhrf
Created at:\t2026-11-29 07:22:23.072163557 +0000 UTC
Mutable:\ttrue
Reclaimable:\ttrue
Shared:\t\tfalse
Size:\t\t0B
Description:\tcached mount /build/${UV_CACHE_DIR} from exec /bin/sh -c uv sync && ls -la $UV_CACHE_DIR
Usage count:\t2
Last used:\tAbout a minute ago
Type:\t\texec.cachemount

ID:\t\tx26tdabcdefghijklmnopqrst
Parent:\t\tlbdiabcdefghijklmnopqrstu
Created at:\t2026-11-29 07:22:20.1 +0000 UTC
Mutable:\tfalse
Reclaimable:\tfalse
Shared:\t\ttrue
Size:\t\t793.7kB
Description:\tmount / from exec /bin/sh -c uv sync
Usage count:\t1
Last used:\t2 minutes ago
Type:\t\tregular

Shared:\t\t874.5kB
Private:\t81.07kB
Reclaimable:\t955.5kB
Total:\t\t955.5kB
"""

DU_029_PRETTY = """\
ID:\t\tpbarabcdefghijklmnopqrstu
Parents:
 - p1abcdefghijklmnopqrstuv
 - p2abcdefghijklmnopqrstuv
Created at:\t2026-11-29 07:22:23.072163557 +0000 UTC
Mutable:\ttrue
Reclaimable:\ttrue
Shared:\t\tfalse
Size:\t\t382kB
Description:\tcached mount /c from exec /bin/sh -c true with id "/mycache"
Usage count:\t1
Last used:\tLess than a second ago
Type:\t\texec.cachemount

Reclaimable:\t382kB
Total:\t\t382kB
"""

DU_029_JSON = (
    '{"CreatedAt":"2026-11-29 07:22:23.072163557 +0000 UTC","Description":"cached mount '
    '/application/cache/uv from exec /bin/sh -c uv sync with id \\"//application/cache/uv\\"",'
    '"ID":"pbarabcdefghijklmnopqrstu","LastUsedAt":"Less than a second ago","Mutable":true,'
    '"Parents":null,"Reclaimable":true,"Shared":false,"Size":"382kB","Type":"exec.cachemount",'
    '"UsageCount":1}\n'
)


def test_buildx_versions() -> None:
    assert parse_buildx_version("github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3") == (
        "0.13.1",
        (0, 13, 1),
    )
    assert parse_buildx_version("github.com/docker/buildx v0.29.1 a32761a") == (
        "0.29.1",
        (0, 29, 1),
    )
    assert parse_buildx_version("docker: 'buildx' is not a docker command.") is None


def test_ls_json_deduplicates_by_name() -> None:
    builders = parse_ls_json(LS_013_JSON_LINE + "\n" + LS_013_JSON_LINE + "\n")
    assert len(builders) == 1
    builder = builders[0]
    assert (builder.name, builder.driver, builder.current) == ("default", "docker", None)
    assert builder.nodes[0].version == "v0.8+unknown"
    assert builder.nodes[0].endpoint == "default"


def test_ls_json_current_and_gc_policy() -> None:
    line = (
        '{"Name":"b","Driver":"docker-container","Current":true,"Nodes":[{"Name":"b0",'
        '"Endpoint":"unix:///var/run/docker.sock","Status":"running","Version":"v0.29.0",'
        '"GCPolicy":[{"all":false,"filter":["type==source.local"],"keepDuration":3600000000000}]}]}'
    )
    (builder,) = parse_ls_json(line)
    assert builder.current is True
    assert builder.nodes[0].gc_policy[0].keep_duration_seconds == 3600


def test_ls_table_013() -> None:
    (builder,) = parse_ls_table(LS_013_TABLE)
    assert (builder.name, builder.driver, builder.current) == ("default", "docker", True)
    node = builder.nodes[0]
    assert (node.name, node.endpoint, node.status, node.version) == (
        "default",
        "default",
        "running",
        "v0.8+unknown",
    )
    assert node.platforms == ("linux/amd64", "linux/386")


def test_ls_table_old_format() -> None:
    first, second = parse_ls_table(LS_OLD_TABLE)
    assert (first.name, first.driver, first.current) == ("mybuilder", "docker-container", True)
    assert first.nodes[0].endpoint == "unix:///var/run/docker.sock"
    assert (second.name, second.current) == ("default", False)
    assert second.nodes[0].version == "20.10.24"


def test_du_verbose_013() -> None:
    mount, layer = parse_du_verbose(DU_013_VERBOSE)
    assert mount.id == "3gde7kz459tr6w1mrmrd1yhrf"
    assert mount.type == "exec.cachemount"
    assert mount.size_bytes == 0 and not mount.size_exact and mount.size_text == "0B"
    assert mount.in_use is False and mount.mutable is True
    assert mount.usage_count == 2
    assert mount.last_used_text == "About a minute ago" and mount.last_used_at is None
    assert mount.created_at is not None and mount.created_at.year == 2026
    assert mount.description.endswith("ls -la $UV_CACHE_DIR")
    assert layer.parents == ("lbdiabcdefghijklmnopqrstu",)
    assert layer.size_bytes == 793_700 and layer.in_use is True and layer.shared is True


def test_du_pretty_029_parents_list() -> None:
    (record,) = parse_du_verbose(DU_029_PRETTY)
    assert record.parents == ("p1abcdefghijklmnopqrstuv", "p2abcdefghijklmnopqrstuv")
    assert record.size_bytes == 382_000
    assert record.description.endswith('with id "/mycache"')


def test_du_json_029() -> None:
    (record,) = parse_du_json(DU_029_JSON)
    assert record.id == "pbarabcdefghijklmnopqrstu"
    assert record.size_bytes == 382_000 and not record.size_exact
    assert record.in_use is False
    assert record.parents == ()
    assert record.last_used_text == "Less than a second ago"
    assert record.description.endswith('with id "//application/cache/uv"')


def test_prune_args_and_output() -> None:
    args = prune_args("b", {"id": "^abc$", "type": "exec.cachemount"}, False)
    assert args == [
        "buildx",
        "prune",
        "--force",
        "--builder",
        "b",
        "--filter",
        "id=^abc$",
        "--filter",
        "type=exec.cachemount",
    ]
    out = (
        "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
        "94ostb3hcl9zu3g52rblmrpar*              \ttrue \t\t793.7kB   \tAbout a minute ago\n"
        "Total:\t793.7kB\n"
    )
    response = parse_prune_output(out)
    assert response.deleted == ("94ostb3hcl9zu3g52rblmrpar",)
    assert response.space_reclaimed == 793_700
