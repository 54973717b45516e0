"""Every generated script as a reviewed file: a template change shows up as a diff in
tests/__snapshots__/. Update them with `pytest tests/test_snapshots.py --snapshot-update`."""

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from kgen import generate


class PythonSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "py"


@pytest.fixture
def snapshot_py(snapshot):
    return snapshot.use_extension(PythonSnapshot)


@pytest.mark.parametrize("spec", generate.supported(), ids=lambda spec: spec.slug)
def test_generated_script_matches_snapshot(spec, snapshot_py):
    assert generate.render(spec) == snapshot_py
