"""A throwaway one-node Slurm cluster on localhost for the tests: its own
munge key and munged, slurmctld and slurmd with a generated slurm.conf in
a temporary directory (no cgroups: proctrack/linuxproc, task/none; no
accounting), on free ports.  Started by the test that needs it and
stopped (and removed) after.  The daemons run as the caller (root in
`make check`)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

CONF = """ClusterName=slabtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={dir}/munge/munge.socket
CredType=cred/munge
SlurmUser={user}
SlurmdUser=root
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/linear
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN Feature=bench
PartitionName=bench Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="slabscale-slurm-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.host = socket.gethostname().split(".")[0]
        self.conf = os.path.join(self.dir, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.munge_socket = os.path.join(self.dir, "munge", "munge.socket")

    def _pid(self, name):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self):
        m = os.path.join(self.dir, "munge")
        for d in (m, os.path.join(self.dir, "state"),
                  os.path.join(self.dir, "spool")):
            os.makedirs(d)
        os.chmod(m, 0o755)
        key = os.path.join(m, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        subprocess.run(["munged", "--force", "--socket", self.munge_socket,
                        "--key-file", key,
                        "--log-file", os.path.join(m, "munged.log"),
                        "--pid-file", os.path.join(m, "munged.pid"),
                        "--seed-file", os.path.join(m, "munged.seed")],
                       check=True)
        import pwd
        with open(self.conf, "w") as f:
            f.write(CONF.format(host=self.host, dir=self.dir,
                                ctld_port=free_port(),
                                slurmd_port=free_port(),
                                user=pwd.getpwuid(os.getuid()).pw_name,
                                cpus=os.cpu_count() or 1))
        subprocess.run(["slurmctld", "-f", self.conf], check=True,
                       env=self.env)
        subprocess.run(["slurmd", "-f", self.conf], check=True, env=self.env)
        for _ in range(300):
            p = subprocess.run(["sinfo", "-h", "-o", "%t"],
                               capture_output=True, text=True, env=self.env)
            if p.stdout.strip() == "idle":
                return self
            time.sleep(0.2)
        raise RuntimeError("slurm did not come up: %s" % self.logs())

    def logs(self):
        out = []
        for n in ("slurmctld.log", "slurmd.log"):
            try:
                with open(os.path.join(self.dir, n)) as f:
                    out.append(f.read()[-2000:])
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        try:
            subprocess.run(["scancel", "--quiet", "--partition", "bench"],
                           env=self.env, capture_output=True)
            for name in ("slurmd.pid", "slurmctld.pid"):
                pid = self._pid(name)
                if pid:
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                    for _ in range(100):
                        try:
                            os.kill(pid, 0)
                        except ProcessLookupError:
                            break
                        time.sleep(0.1)
            subprocess.run(["munged", "--stop", "--socket",
                            self.munge_socket], capture_output=True)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
