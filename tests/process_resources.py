"""What the test process holds, counted from /proc and the event loop: the server runs
in this process (in a thread), so these are the server's sockets, tasks and threads.
Only this process's own: other test processes (xdist workers) share the network
namespace."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import threading
from pathlib import Path


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


# Worker pools that start threads on demand, up to a fixed size: the event loop's default
# executor (asyncio.to_thread), key generation and DNS lookups (server/).
POOL_THREAD_PREFIXES = ("asyncio_", "rtcshim-keygen_", "rtcshim-dns_")


def threads() -> int:
    """Threads outside the bounded worker pools: one more is a thread that outlived its work."""
    return sum(not thread.name.startswith(POOL_THREAD_PREFIXES) for thread in threading.enumerate())


def resident_memory_kib(field: str = "VmRSS") -> int:
    """The process's resident memory now (VmRSS), or its peak so far (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def memory_in_use_kib() -> int:
    """The resident set once Python collected its cycles and the C allocator gave back what
    it keeps free (glibc's malloc_trim): what is in use, not what glibc's arenas hold on to
    after a burst (1,000 soak cycles leave them 70 MiB that malloc_trim returns at once)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return resident_memory_kib()


def udp_sockets() -> int:
    """UDP sockets this process holds."""
    udp_inodes = {
        line.split()[9]
        for table in ("/proc/net/udp", "/proc/net/udp6")
        for line in Path(table).read_text().splitlines()[1:]
    }
    held = 0
    for descriptor in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:[") and target[len("socket:["):-1] in udp_inodes:
            held += 1
    return held


def server_connections(port: int) -> int:
    """TCP connections the server still holds (not listening, not in TIME_WAIT)."""
    local_port = f":{port:04X} "
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if local_port in fields[1] + " " and fields[3] not in ("0A", "06"):
                count += 1
    return count


async def running_tasks() -> int:
    return len(asyncio.all_tasks()) - 1  # less this coroutine's own task


async def tasks_once_settled(baseline: int) -> int:
    """Tasks left once the server wound down: a stopped source ends its reader at its
    next frame, so this waits (at most 5 s) rather than counting at once."""
    for _ in range(100):
        if await running_tasks() <= baseline:
            break
        await asyncio.sleep(0.05)
    return await running_tasks()


async def ice_consent_checks() -> int:
    """aioice consent-freshness tasks (RFC 7675) running: one per connected ICE connection
    that is still open. One left once every session closed is a connection that outlived its
    peer connection (its task pending for good, "Task was destroyed but it is pending")."""
    await asyncio.sleep(0)  # a consent task just cancelled ends at its next step
    return sum(getattr(task.get_coro(), "__qualname__", "") == "Connection.query_consent"
               for task in asyncio.all_tasks())
