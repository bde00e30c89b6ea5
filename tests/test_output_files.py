"""Output files: modes, links and special files, stale temporary files, write failures named with their path
and reason, CSV formula injection (issue 10 §3.5, §3.7, §3.10, "Also"; issue 11 §4)."""

from __future__ import annotations

import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import ROOT, full_device, mounted_tmpfs

from xhs_translate._staging import create_file, locked_folder, remove_leftovers
from xhs_translate.errors import InputError, OutputError, OutputPathError
from xhs_translate.io import CsvWriter, JsonlWriter, atomic_output, neutralize_formula


def write_text(path: str, text: str = "new\n") -> None:
    with atomic_output(path) as stream:
        stream.write(text)


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


# --- modes ----------------------------------------------------------------------------------------------------


def test_a_new_output_honours_the_umask_and_a_replaced_one_keeps_its_mode(tmp_path):
    with umask(0o022):
        write_text(str(tmp_path / "a.jsonl"))
    with umask(0o007):
        write_text(str(tmp_path / "b.jsonl"))
    assert stat.S_IMODE((tmp_path / "a.jsonl").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.jsonl").stat().st_mode) == 0o660
    existing = tmp_path / "c.jsonl"
    existing.write_text("old\n")
    existing.chmod(0o664)
    with umask(0o077):
        write_text(str(existing))
    assert stat.S_IMODE(existing.stat().st_mode) == 0o664 and existing.read_text() == "new\n"


# --- links and special files ----------------------------------------------------------------------------------


def test_a_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "data" / "out.jsonl"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    write_text(str(link))
    assert link.is_symlink() and real.read_text() == "new\n"
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "data" / "later.jsonl")
    write_text(str(dangling))
    assert dangling.is_symlink() and (tmp_path / "data" / "later.jsonl").read_text() == "new\n"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["later.jsonl", "out.jsonl"]


def test_a_fifo_is_written_to_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_text(str(fifo), "through the pipe\n")
    reader.join(timeout=30)
    assert received == [b"through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.skipif(not ROOT, reason="making a device node needs root")
def test_a_device_node_is_written_to_not_replaced(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a second /dev/null
    write_text(str(null), "gone\n")
    assert stat.S_ISCHR(null.stat().st_mode) and list(tmp_path.iterdir()) == [null]


def test_a_full_device_is_an_output_error_naming_it(tmp_path):
    full = full_device(tmp_path)
    with pytest.raises(OutputError, match=f"cannot write {full}: No space left on device"):
        write_text(str(full), "x" * 100_000)


# --- write failures -----------------------------------------------------------------------------------------


def test_a_file_size_limit_is_an_output_error_and_leaves_nothing(tmp_path):
    """The temporary output cannot grow (RLIMIT_FSIZE, EFBIG): the error names the output and the reason."""
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    script = (
        "import resource, signal, sys\n"
        "from xhs_translate.io import atomic_output\n"
        "from xhs_translate.errors import OutputError\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        "    with atomic_output(sys.argv[1]) as s:\n"
        "        s.write('x' * 100000)\n"
        "except OutputError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"cannot write {target}: File too large", result.stderr
    assert target.read_text() == "old\n" and list(tmp_path.iterdir()) == [target]


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs needs root")
def test_a_full_disk_is_an_output_error_and_leaves_the_old_file(tmp_path):
    with mounted_tmpfs(tmp_path / "small", "size=64k") as disk:
        target = disk / "out.jsonl"
        target.write_text("old\n")
        with pytest.raises(OutputError, match=f"cannot write {target}: No space left on device"):
            write_text(str(target), "x" * 1_000_000)
        assert target.read_text() == "old\n" and list(disk.iterdir()) == [target]


def test_a_read_only_folder_is_an_output_path_error_before_any_work(read_only_dir):
    reason = "Read-only file system" if ROOT else "Permission denied"
    with pytest.raises(OutputPathError, match=f"cannot write {read_only_dir}/out.jsonl: cannot create files in "
                                               f"{read_only_dir}: {reason}"):
        write_text(str(read_only_dir / "out.jsonl"))


def as_other_user(work) -> str:
    """Run ``work()`` in a forked child as an unprivileged user (uid 65533); the message of the XhsTranslateError
    it raised, or the repr of anything else it raised, or ""."""
    from xhs_translate.errors import XhsTranslateError

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        message = b""
        try:
            os.setgid(65533)
            os.setuid(65533)
            work()
        except XhsTranslateError as exc:
            message = str(exc).encode()
        except BaseException as exc:
            message = repr(exc).encode()
        os.write(write, message)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


@pytest.mark.skipif(not ROOT, reason="needs two users: the owner of the file and another one")
def test_a_rename_refused_in_a_sticky_folder_names_the_file_and_the_reason():
    import tempfile

    sticky = Path(tempfile.mkdtemp(prefix="xhs-sticky-", dir="/tmp"))  # /tmp/pytest-of-root is private to root
    sticky.chmod(0o1777)
    theirs = sticky / "out.jsonl"
    theirs.write_text("theirs\n")
    theirs.chmod(0o666)
    os.chown(theirs, 65534, 65534)
    try:
        message = as_other_user(lambda: write_text(str(theirs), "mine\n"))
        assert message == f"cannot replace {theirs} with the new output: Operation not permitted"
        assert theirs.read_text() == "theirs\n" and list(sticky.iterdir()) == [theirs]
    finally:
        shutil.rmtree(sticky)


@pytest.mark.skipif(not ROOT, reason="root can search every folder")
def test_an_output_below_a_folder_that_cannot_be_searched_is_an_output_path_error(tmp_path):
    tmp_path.chmod(0o700)
    target = tmp_path / "out.jsonl"
    message = as_other_user(lambda: write_text(str(target)))
    assert message == f"cannot write {target}: Permission denied"


# --- leftovers of killed runs ------------------------------------------------------------------------------


def test_a_killed_runs_temporary_output_is_removed_by_the_next_run(tmp_path):
    target = tmp_path / "out.jsonl"
    script = (
        "import os, sys\n"
        "from xhs_translate.io import atomic_output\n"
        "with atomic_output(sys.argv[1]) as s:\n"
        "    s.write('half'); s.flush(); print('ready', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    killed = subprocess.Popen([sys.executable, "-c", script, str(target)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert killed.stdout.readline() == b"ready\n"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    older = tmp_path / ".out.jsonl.abcd1234.tmp"  # left by an older version (tempfile.mkstemp, no lock)
    older.write_text("half")
    unrelated = tmp_path / ".other.jsonl.abcd1234.tmp"
    unrelated.write_text("not ours to clean")
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl.")]
    assert len(leftovers) == 2
    # a run that is still writing keeps its file
    with atomic_output(str(target)) as live:
        live.write("live")
        live.flush()
        write_text(str(target), "second\n")
        names = sorted(p.name for p in tmp_path.iterdir())
        assert len([n for n in names if n.startswith(".out.jsonl.")]) == 1 and ".other.jsonl.abcd1234.tmp" in names
    assert target.read_text() == "live"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.jsonl.abcd1234.tmp", "out.jsonl"]


def test_locked_files_and_folders_are_not_leftovers_until_released(tmp_path):
    fd, path = create_file(tmp_path, ".x.", ".tmp")
    assert remove_leftovers(tmp_path, r"\.x\..*\.tmp") == [] and path.exists()
    os.close(fd)
    assert remove_leftovers(tmp_path, r"\.x\..*\.tmp") == [path] and not path.exists()
    with locked_folder(tmp_path, ".install-") as folder:
        (folder / "file").write_text("x")
        assert remove_leftovers(tmp_path, r"\.install-.*") == [] and folder.is_dir()
    assert not folder.exists()


# --- the CSV writer -----------------------------------------------------------------------------------------


def test_csv_formula_cells_are_neutralised_unless_kept():
    records = [{"=cmd": "=HYPERLINK(\"http://x\")", "b": "+1+2", "c": "-5", "d": "@SUM(A1)", "e": "\tx", "f": "safe",
                "g": "+86 138", "h": -3, "i": "-", "j": "\r=1"}]
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.write(records)
    writer.close()
    header, row = out.getvalue().splitlines()[:2]
    assert header == "'=cmd,b,c,d,e,f,g,h,i,j"
    assert row.startswith("\"'=HYPERLINK(\"\"http://x\"\")\",'+1+2,-5,'@SUM(A1),'\tx,safe,'+86 138,-3,'-,")
    kept = io.StringIO()
    writer = CsvWriter(kept, csv_formulas="keep")
    writer.write(records)
    writer.close()
    assert kept.getvalue().splitlines()[0] == "=cmd,b,c,d,e,f,g,h,i,j"
    assert [neutralize_formula(t) for t in ("1e5", "-1.5e3", "+.5", "-", "- 1", "==")] == [
        "1e5", "-1.5e3", "+.5", "'-", "'- 1", "'=="
    ]
    with pytest.raises(InputError, match="csv_formulas must be one of escape, keep"):
        CsvWriter(io.StringIO(), csv_formulas="off")


def test_the_csv_spool_is_closed_after_an_error_and_after_writing():
    writer = CsvWriter(io.StringIO())
    writer.write([{"a": "1"}])
    spool = writer._spool
    writer.discard()
    assert spool.closed

    class Broken(io.StringIO):
        def write(self, text):
            raise OSError("broken")

    writer = CsvWriter(Broken())
    writer.write([{"a": "1"}])
    with pytest.raises(OSError):
        writer.close()
    assert writer._spool.closed


def test_jsonl_to_a_read_only_stdout_like_stream_names_it(tmp_path):
    class Full(io.StringIO):
        def write(self, text):
            raise OSError(28, "No space left on device")

    from xhs_translate.io.writers import _OutputStream

    with pytest.raises(OutputError, match=r"cannot write out\.jsonl: No space left on device"):
        JsonlWriter(_OutputStream(Full(), "out.jsonl")).write([{"a": 1}])
