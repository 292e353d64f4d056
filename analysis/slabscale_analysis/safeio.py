"""Files inside a results tree, reached without following links.

A results tree is untrusted input: it may come from another user, another
machine, a database import or a fleet's shared directory
(docs/results-layout.md).  So:

- every name read from a file (variant, case, host) must match NAME before
  it becomes part of a path or a command;
- every file the tools create, truncate, rename or read below a tree's root
  is reached through directory descriptors opened with O_NOFOLLOW: a symlink
  planted anywhere below the root is refused, never followed.  The root
  itself (results/, or what SLABSCALE_RESULTS or --results names) is the
  user's own choice and may be a link;
- a file read is a regular file no larger than a cap: not a FIFO (which
  would block forever), not a device (/dev/zero never ends), not a
  125 MB document that takes a gigabyte to parse.
"""

import errno
import os
import re
import stat

from .errors import DataError

# a variant, case, mode or host name: no '/', no leading '.' or '-' (no
# "..", nothing an outside tool could read as an option), bounded length
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$")

MAX_RUN_BYTES = 16 << 20        # a run document (a long run is ~1 MiB)
MAX_MANIFEST_BYTES = 64 << 20   # a sweep manifest (~300 bytes a run)
MAX_TEXT_BYTES = 1 << 20        # plans, runner records, logs we read back

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def is_name(s):
    return isinstance(s, str) and NAME.match(s) is not None


def check_name(s, what):
    """s itself if it is a NAME, else DataError naming `what`."""
    if not is_name(s):
        raise DataError("%s %r is not a valid name (letters, digits and "
                        "._+-, not starting with '.' or '-', at most 128)"
                        % (what, s))
    return s


def _parts(rel):
    if os.path.isabs(rel):
        raise DataError("%s: an absolute path where a path inside the "
                        "results tree was expected" % rel)
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise DataError("%s: '..' in a path inside the results tree" % rel)
    return parts


def _refused(where, e):
    if e.errno in (errno.ELOOP, errno.ENOTDIR):
        return DataError("%s: a symbolic link or not a directory inside "
                         "the results tree: refused" % where)
    return None


def open_dir(root, rel, create=False):
    """A descriptor of directory root/rel, every component below root
    opened with O_NOFOLLOW (created, mode 0777 & ~umask, when `create`).
    DataError for a link or a non-directory on the way."""
    if create:
        os.makedirs(root, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    done = root
    try:
        for part in _parts(rel):
            done = os.path.join(done, part)
            try:
                nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(part, 0o777, dir_fd=fd)
                except FileExistsError:
                    pass
                nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                err = _refused(done, e)
                if err:
                    raise err
                raise
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_file(root, rel, flags, mode=0o666, create_dirs=False):
    """os.open of root/rel with O_NOFOLLOW on every component below root.
    A link (or a non-regular file, when the file already exists) is a
    DataError; the file is never truncated before that check."""
    head, name = os.path.split(rel)
    if not name:
        raise DataError("%s: not a file name" % rel)
    dfd = open_dir(root, head, create=create_dirs)
    where = os.path.join(root, rel)
    try:
        trunc = flags & os.O_TRUNC
        fd = os.open(name, (flags & ~os.O_TRUNC) | os.O_NOFOLLOW |
                     os.O_CLOEXEC | os.O_NONBLOCK, mode, dir_fd=dfd)
    except OSError as e:
        err = _refused(where, e)
        if err:
            raise err
        if e.errno == errno.ENXIO:      # a FIFO without a reader
            raise DataError("%s: not a regular file: refused" % where)
        raise
    finally:
        os.close(dfd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DataError("%s: not a regular file: refused" % where)
        if trunc:
            os.ftruncate(fd, 0)
        # back to blocking I/O for a regular file's writes
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_fd(fd, where, cap, what):
    """All of a regular file's bytes from fd (closed), at most cap."""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DataError("%s: not a regular file (not %s): refused"
                            % (where, what))
        if st.st_size > cap:
            raise DataError("%s: %d bytes, more than the %d allowed for %s:"
                            " refused" % (where, st.st_size, cap, what))
        chunks, n = [], 0
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            n += len(b)
            if n > cap:
                raise DataError("%s: more than the %d bytes allowed for "
                                "%s: refused" % (where, cap, what))
            chunks.append(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_path(path, cap, what, follow=True):
    """The bytes of the regular file at path (at most cap).  follow=False
    refuses a link at the last component too; FIFOs and devices are
    refused without blocking on them."""
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
    if not follow:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise DataError("%s: no such file" % path)
    except IsADirectoryError:
        raise DataError("%s: is a directory, not %s" % (path, what))
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise DataError("%s: a symbolic link where %s was expected: "
                            "refused" % (path, what))
        raise DataError("%s: %s" % (path, e.strerror))
    return read_fd(fd, path, cap, what)


def read_under(root, rel, cap, what):
    """read_path for root/rel, no link followed below root."""
    where = os.path.join(root, rel)
    try:
        fd = open_file(root, rel, os.O_RDONLY)
    except FileNotFoundError:
        raise DataError("%s: no such file" % where)
    except OSError as e:
        raise DataError("%s: %s" % (where, e.strerror))
    return read_fd(fd, where, cap, what)


def lexists_under(root, rel):
    """Does root/rel exist (as anything, a link included)?  Links on the
    way to it are refused as open_dir refuses them."""
    head, name = os.path.split(rel)
    try:
        dfd = open_dir(root, head)
    except FileNotFoundError:
        return False
    try:
        os.stat(name, dir_fd=dfd, follow_symlinks=False)
        return True
    except FileNotFoundError:
        return False
    finally:
        os.close(dfd)


def rename_under(root, src_rel, dst_rel):
    """Rename within one directory below root (the link-free directory
    descriptor is the only path used), refusing to replace anything."""
    sh, sn = os.path.split(src_rel)
    dh, dn = os.path.split(dst_rel)
    if sh != dh:
        raise ValueError("rename_under: not one directory")
    dfd = open_dir(root, sh)
    try:
        try:
            os.stat(dn, dir_fd=dfd, follow_symlinks=False)
            raise FileExistsError(errno.EEXIST, "exists",
                                  os.path.join(root, dst_rel))
        except FileNotFoundError:
            pass
        os.rename(sn, dn, src_dir_fd=dfd, dst_dir_fd=dfd)
    finally:
        os.close(dfd)


def unlink_under(root, rel):
    """Unlink root/rel (a link there is removed, not followed); no error
    when it is gone."""
    head, name = os.path.split(rel)
    try:
        dfd = open_dir(root, head)
    except FileNotFoundError:
        return
    try:
        os.unlink(name, dir_fd=dfd)
    except FileNotFoundError:
        pass
    finally:
        os.close(dfd)


def check_tree(root, rel, create=True):
    """Refuse a link anywhere on root/rel below root (the last component
    included), and a last component that is not a regular file; the
    directories on the way are created when `create` (else a missing one
    is fine).  For paths handed to another program (the runner's --json),
    which then does its own O_NOFOLLOW check, and for checking a whole
    manifest's files before anything runs."""
    head, name = os.path.split(rel)
    try:
        dfd = open_dir(root, head, create=create)
    except FileNotFoundError:
        if create:
            raise
        return
    try:
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISLNK(st.st_mode):
            raise DataError("%s: a symbolic link inside the results tree: "
                            "refused" % os.path.join(root, rel))
        if not stat.S_ISREG(st.st_mode):
            raise DataError("%s: not a regular file: refused"
                            % os.path.join(root, rel))
    finally:
        os.close(dfd)
