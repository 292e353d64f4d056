"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl on a
Unix socket in a temporary directory, no TCP; started by the test that
needs it and stopped (and removed) after.  PostgreSQL refuses to run as
root, so as root the cluster belongs to `nobody`."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile


def bindir():
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    if cands:
        return os.path.dirname(cands[-1])
    p = shutil.which("initdb")
    if p:
        return os.path.dirname(os.path.realpath(p))
    raise RuntimeError("initdb not found: install postgresql (make deps)")


class Cluster:
    def __init__(self):
        self.bin = bindir()
        # not under pytest's 0700 tmp: the cluster's user must reach it
        self.dir = tempfile.mkdtemp(prefix="slabscale-pg-", dir="/tmp")
        self.data = os.path.join(self.dir, "data")
        self.user = None
        if os.geteuid() == 0:
            self.user = "nobody"
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.url = "postgresql://slabscale@/postgres?host=%s" % self.dir

    def _run(self, *args):
        cmd = [os.path.join(self.bin, args[0])] + list(args[1:])
        if self.user:
            cmd = ["runuser", "-u", self.user, "--"] + cmd
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def start(self):
        self._run("initdb", "-D", self.data, "-A", "trust", "-U",
                  "slabscale", "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", self.data, "-l",
                  os.path.join(self.dir, "log"), "-w", "-o",
                  "-k %s -c listen_addresses= -c fsync=off "
                  "-c max_connections=50" % self.dir, "start")
        return self

    def stop(self):
        try:
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w",
                          "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
