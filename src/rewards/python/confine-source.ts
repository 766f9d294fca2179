// The first half of the program every confined Python process runs (runner-source.ts holds the
// second): resource limits and the kernel walls this machine allows, applied by the process to
// itself before any untrusted line runs, so that nothing can be undone from inside. Each wall is
// tried and, when it holds, named; the verdict reports the names (issue 16, part 2). Landlock
// and seccomp are reached through ctypes, which needs nothing beyond the standard library.
// Written as Python; the TypeScript around it only carries the text.
export const CONFINE_SOURCE = String.raw`import ctypes, os, platform, resource, struct, sys

LINUX = platform.system() == 'Linux'
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long

def confine(s):
    """Applies every wall this kernel allows; returns the names of those in force."""
    got = []
    if os.getpid() == 1:
        got.append('pidns')
    try:
        with open('/proc/self/net/dev') as f:
            devices = [l.split(':')[0].strip() for l in f.read().splitlines()[2:]]
        if devices == ['lo']:
            got.append('netns')
    except OSError:
        pass
    lim = s['limits']
    missing = []
    for name, which, soft, hard in (('cpu', resource.RLIMIT_CPU, lim['cpu'], lim['cpu'] + 1), ('as', resource.RLIMIT_AS, lim['memory'], lim['memory']),
                                    ('fsize', resource.RLIMIT_FSIZE, lim['fsize'], lim['fsize']), ('nofile', resource.RLIMIT_NOFILE, 64, 64),
                                    ('core', resource.RLIMIT_CORE, 0, 0), ('nproc', resource.RLIMIT_NPROC, lim['nproc'], lim['nproc'])):
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            missing.append(name)
    got.append('rlimits' if not missing else 'rlimits except ' + ', '.join(missing))
    os.chdir(s['dir'])
    if s['dropTo'] is not None:
        os.setgroups([])
        os.setgid(s['dropTo'])
        os.setuid(s['dropTo'])
        got.append('uid %d' % s['dropTo'])
    if not LINUX:
        return got
    LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace, no /proc/<pid>/mem from a sibling
    if LIBC.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS: needed by landlock and seccomp
        return got
    skip = s.get('skip') or []
    if 'landlock' not in skip:
        got += landlock(s['dir'])
    if 'seccomp' not in skip:
        got += seccomp()
    return got

# Landlock (Linux >= 5.13): the sample may read Python's own library folders and the shared
# libraries they load, and write only in its fresh folder. ABI 4 adds TCP bind/connect (none
# allowed), ABI 6 scopes signals and abstract unix sockets to the sandbox.
def landlock(workdir):
    abi = LIBC.syscall(444, None, 0, 1)
    if abi < 1:
        return []
    fs = (1 << 13) - 1 | (1 << 13 if abi >= 2 else 0) | (1 << 14 if abi >= 3 else 0) | (1 << 15 if abi >= 5 else 0)
    net = 3 if abi >= 4 else 0
    scoped = 3 if abi >= 6 else 0
    attr = struct.pack('QQQ', fs, net, scoped)[:8 if abi < 4 else 16 if abi < 6 else 24]
    ruleset = LIBC.syscall(444, ctypes.c_char_p(attr), len(attr), 0)
    if ruleset < 0:
        return []
    file_only = 1 | 2 | 4 | (1 << 14 if abi >= 3 else 0) | (1 << 15 if abi >= 5 else 0)
    def allow(path, access):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        if not os.path.isdir(path):
            access &= file_only
        rule = struct.pack('=Qi', access, fd)
        LIBC.syscall(445, ruleset, 1, ctypes.c_char_p(rule), 0)
        os.close(fd)
    read = 1 | 4 | 8  # execute, read file, read dir
    for p in sys.path + ['/lib', '/lib64', '/usr/lib', '/usr/lib64', '/usr/local/lib', '/etc/ld.so.cache']:
        if p and os.path.exists(p):
            allow(p, read)
    allow('/dev/null', 2 | 4)
    allow(workdir, fs)
    ok = LIBC.syscall(446, ruleset, 0) == 0
    os.close(ruleset)
    if not ok:
        return []
    return ['landlock-fs'] + (['landlock-tcp'] if net else []) + (['landlock-scope'] if scoped else [])

# Seccomp: no new processes or threads, no exec, no sockets, no signals to anyone, no ptrace,
# no namespaces, mounts, BPF or io_uring (whose operations seccomp cannot see). Each fails with
# EPERM, as a refused permission would.
DENIED = ('fork vfork clone clone3 execve execveat socket ptrace process_vm_readv process_vm_writev kill tkill tgkill '
          'rt_sigqueueinfo rt_tgsigqueueinfo pidfd_send_signal pidfd_open pidfd_getfd unshare setns mount umount2 '
          'pivot_root chroot bpf perf_event_open keyctl add_key request_key io_uring_setup io_uring_enter '
          'io_uring_register userfaultfd personality open_tree move_mount fsopen fsmount mount_setattr').split()
SYSCALLS = {
    'x86_64': (0xC000003E, dict(fork=57, vfork=58, clone=56, clone3=435, execve=59, execveat=322, socket=41, ptrace=101,
        process_vm_readv=310, process_vm_writev=311, kill=62, tkill=200, tgkill=234, rt_sigqueueinfo=129, rt_tgsigqueueinfo=297,
        pidfd_send_signal=424, pidfd_open=434, pidfd_getfd=438, unshare=272, setns=308, mount=165, umount2=166, pivot_root=155,
        chroot=161, bpf=321, perf_event_open=298, keyctl=250, add_key=248, request_key=249, io_uring_setup=425, io_uring_enter=426,
        io_uring_register=427, userfaultfd=323, personality=135, open_tree=428, move_mount=429, fsopen=430, fsmount=432, mount_setattr=442)),
    'aarch64': (0xC00000B7, dict(clone=220, clone3=435, execve=221, execveat=281, socket=198, ptrace=117, process_vm_readv=270,
        process_vm_writev=271, kill=129, tkill=130, tgkill=131, rt_sigqueueinfo=138, rt_tgsigqueueinfo=240, pidfd_send_signal=424,
        pidfd_open=434, pidfd_getfd=438, unshare=97, setns=268, mount=40, umount2=39, pivot_root=41, chroot=51, bpf=280,
        perf_event_open=241, keyctl=219, add_key=217, request_key=218, io_uring_setup=425, io_uring_enter=426, io_uring_register=427,
        userfaultfd=282, personality=92, open_tree=428, move_mount=429, fsopen=430, fsmount=432, mount_setattr=442)),
}

def seccomp():
    known = SYSCALLS.get(platform.machine())
    if known is None:
        return []
    arch, numbers = known
    LD, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
    EPERM, ALLOW, KILL = 0x00050001, 0x7FFF0000, 0x80000000
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, arch), (RET, 0, 0, KILL), (LD, 0, 0, 0)]
    if arch == 0xC000003E:  # the x32 ABI numbers every call again above 0x40000000
        prog += [(JGE, 0, 1, 0x40000000), (RET, 0, 0, EPERM)]
    for name in DENIED:
        if name in numbers:
            prog += [(JEQ, 0, 1, numbers[name]), (RET, 0, 0, EPERM)]
    prog.append((RET, 0, 0, ALLOW))
    code = ctypes.create_string_buffer(b''.join(struct.pack('HBBI', *i) for i in prog))
    fprog = ctypes.create_string_buffer(struct.pack('@HP', len(prog), ctypes.addressof(code)))
    if LIBC.prctl(22, 2, fprog, 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        return []
    return ['seccomp']
`;
