"""Guard a grading kernel against a submission that tampers with its grading.

nbgrader runs a student's cells and then the test cells in one kernel, so a submission could
replace what the tests rely on (``torch.allclose``, the course's checks, their helpers) or write
where it must not (the gradebook, the course's files, other students' work). Every grading kernel
starts with :func:`install` (see `autograder.grading.in_nbgrader.guarded_execute`), which

- makes modules read-only: torch's, the course's (``autograder``), ``builtins``, ``math`` and
  ``random``; replacing or deleting one of their attributes raises AttributeError;
- keeps a copy of the attributes of their classes, which :func:`restore_classes` puts back before
  each test cell (Python cannot refuse ``torch.Tensor.__le__ = ...`` in time);
- adds a Python audit hook (it cannot be removed) that raises PermissionError on replacing the code
  of a function of those modules, writing, renaming or deleting files outside the notebook's folder
  and the temporary directory, opening an SQLite database there, starting programs, signalling
  other processes, tracing, and walking the garbage collector or ctypes to reach objects.

Code that rewrites a module's ``__dict__`` or ``sys.modules`` directly still gets around it;
`autograder.grading.in_instructor.tamper_scan` flags such code for an instructor to read.
"""

import builtins
import ctypes
import os
import sys
import tempfile
import threading
import time
import types
import warnings

from autograder.grading.in_kernel import hidden_seeds
from autograder.grading.protocol import REFUSAL_PREFIX

PROTECTED = ("torch", "autograder", "builtins", "math", "random")
REFUSED_EVENTS = frozenset(
    {  # frozen: a cell could otherwise empty them in place
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "pty.spawn",
        "sys.settrace",
        "sys.setprofile",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.dlsym/handle",
        "ctypes.addressof",
        "ctypes.cdata",
        "ctypes.cdata/buffer",
        "ctypes.string_at",
        "ctypes.wstring_at",
        "ctypes.PyObj_FromPtr",
        "ctypes.call_function",
    }
)
PATH_EVENTS = types.MappingProxyType(
    {  # event: positions of the paths it changes
        "os.mkdir": (0,),
        "os.remove": (0,),
        "os.rmdir": (0,),
        "os.rename": (0, 1),
        "os.link": (0, 1),
        "os.symlink": (1,),
        "os.truncate": (0,),
        "os.chmod": (0,),
        "os.chown": (0,),
        "os.utime": (0,),
        "shutil.rmtree": (0,),
        "shutil.copyfile": (1,),
        "shutil.move": (0, 1),
        "sqlite3.connect": (0,),
    }
)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_saved_classes: dict[type, dict] = {}  # each class of a protected module: its attributes when protected


class ReadOnlyModule(types.ModuleType):
    """A module that untrusted code can add attributes to, but whose attributes it cannot replace or delete."""

    def __setattr__(self, name, value):
        replaces = name == "__class__" or (name in self.__dict__ and self.__dict__[name] is not value)
        if replaces and not _called_by_trusted_code():
            raise AttributeError(f"{REFUSAL_PREFIX}a graded notebook may not replace {self.__name__}.{name}")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if not _called_by_trusted_code():
            raise AttributeError(f"{REFUSAL_PREFIX}a graded notebook may not delete {self.__name__}.{name}")
        super().__delattr__(name)


def _called_by_trusted_code() -> bool:
    """Whether the code that set or deleted the attribute is trusted: a protected package (torch wraps its own
    functions when it first imports some parts), the kernel (it sets ``builtins.input`` for every cell), or
    the import system."""
    caller = sys._getframe(2).f_globals.get("__name__", "")
    return caller.split(".")[0] in (*PROTECTED, "ipykernel", "IPython", "_frozen_importlib")


def install() -> None:
    """Guard this process from now on: the notebook's folder is the working directory."""
    _startup_times.update(process=_process_start_time(), install=time.time())
    import matplotlib.pyplot  # noqa: F401  (imported with full rights: it may build its font cache)
    import torch  # noqa: F401

    writable = tuple(_real_folder(root) for root in (os.getcwd(), tempfile.gettempdir()))

    def outside(path) -> bool:
        if isinstance(path, int) or path is None or path == ":memory:":  # a file descriptor, or no file
            return False
        return not _real_folder(path).startswith(writable)

    def hook(event, args):
        if event == "exec":  # a cell is about to run: what was imported so far becomes read-only
            _protect_loaded_modules()
        elif event == "object.__setattr__" or event == "object.__delattr__":
            if _is_protected(args[0]):
                raise PermissionError(f"{REFUSAL_PREFIX}a graded notebook may not change {_name_of(args[0])}.{args[1]}")
        elif event == "open":
            path, mode, flags = args
            writes = any(letter in (mode or "") for letter in "wax+") or (mode is None and flags & WRITE_FLAGS)
            if writes and outside(path):
                raise PermissionError(f"{REFUSAL_PREFIX}a graded notebook may write only in its own folder, not {path}")
            if (course_file := _course_file(path)) and (route := _read_by_the_notebook()):
                if route != "linecache":  # a traceback the notebook prints must not flag it: refused, not recorded
                    _course_file_reads.append(course_file)
                raise PermissionError(f"{REFUSAL_PREFIX}a graded notebook may not read the course's own {course_file}")
        elif event in PATH_EVENTS:
            if any(outside(args[i]) for i in PATH_EVENTS[event]):
                raise PermissionError(
                    f"{REFUSAL_PREFIX}a graded notebook may change files only in its own folder ({event} {args[0]})"
                )
        elif event == "os.kill" or event == "os.killpg":
            if args[0] != os.getpid():
                raise PermissionError(REFUSAL_PREFIX + "a graded notebook may not signal other processes")
        elif event == "ctypes.call_function" and args[0] == _stop_thread_address:
            return  # the guard stopping a thread that the notebook started (see _stop_notebook_threads)
        elif event in REFUSED_EVENTS:
            raise PermissionError(f"{REFUSAL_PREFIX}a graded notebook may not use {event}")

    global _stop_thread, _stop_thread_address
    _stop_thread = ctypes.pythonapi.PyThreadState_SetAsyncExc  # looked up before the hook refuses ctypes
    _stop_thread_address = ctypes.cast(_stop_thread, ctypes.c_void_p).value
    _protect_loaded_modules()
    _save_kernel_state()
    sys.addaudithook(hook)
    _startup_times["installed"] = time.time()


_startup_times: dict[str, float | None] = {}
_course_file_reads: list[str] = []  # the course's files the notebook tried to read, until restore() reports them


def _real_folder(path) -> str:
    """``path`` with its links followed and a separator at the end: a prefix of another such path is a folder that
    holds it (``/a/b/`` holds ``/a/b/c.py/``, not ``/a/bc/``)."""
    return os.path.join(os.path.realpath(os.fsdecode(path)), "")


_PACKAGE = _real_folder(os.path.join(os.path.dirname(__file__), "..", ".."))  # the course's ``autograder``
_LIBRARIES = tuple(_real_folder(root) for root in {sys.prefix, sys.base_prefix})


def _course_file(path) -> str | None:
    """``autograder/…`` when ``path`` is the course's package or a file or folder in it (the reference's and the
    checks' source, their compiled code, their data), else None. Links are followed: a link in the notebook's
    folder to the reference is the reference."""
    if isinstance(path, int) or path is None or not (real := _real_folder(path)).startswith(_PACKAGE):
        return None
    return os.path.relpath(real, os.path.dirname(os.path.dirname(_PACKAGE)))


def _read_by_the_notebook() -> str | None:
    """Whether the file being opened is read for the notebook's own code: the nearest caller that is neither the
    standard library nor a third-party package is the notebook (a cell, a file of its folder, an ``exec``), not
    the course's modules. An import is not a read (running a module shows none of its source). The route, or None:
    "linecache" where the standard library reads source lines to show a traceback, else "read"."""
    route = "read"
    frame = sys._getframe(2)  # past this function and the hook: the code that opened the file
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith("<frozen"):
            if frame.f_code.co_name == "_find_and_load":
                return None
        else:
            module_file = _module_file(frame)
            if module_file is not None and _real_folder(module_file).startswith(_PACKAGE):
                return None  # the course's own code reads its own files
            # a library's code: by its module, or by its file where the module is gone from sys.modules (the
            # kernel's own __main__, which IPython replaces with the notebook's namespace)
            if not _real_folder(module_file or filename).startswith(_LIBRARIES):
                return route  # the notebook's code: a cell, a module of its folder, code it compiled
            if frame.f_globals.get("__name__") == "linecache":
                route = "linecache"
        frame = frame.f_back
    return None  # no code of the notebook's is running: the kernel (a traceback IPython shows) reads it


def _module_file(frame) -> str | None:
    """The file of the module whose namespace ``frame`` runs in, if that is a loaded module's (a cell runs in
    ``__main__``, which has none); judged by the namespace, not by the file name a code object claims."""
    module = sys.modules.get(frame.f_globals.get("__name__", ""))
    if module is None or getattr(module, "__dict__", None) is not frame.f_globals:
        return None
    return getattr(module, "__file__", None)


def take_course_file_reads() -> list[str]:
    """The course's files the notebook tried to read since the last call, once each."""
    reads = list(dict.fromkeys(_course_file_reads))
    _course_file_reads.clear()
    return reads


def startup_times() -> dict[str, float | None]:
    """When this kernel's process started, and when its guard began and finished installing (times since the
    epoch), for the grading times (`autograder.grading.in_nbgrader.guarded_execute`)."""
    return dict(_startup_times)


def _process_start_time() -> float | None:
    """When this process started, from Linux's /proc (within about a tenth of a second); None elsewhere."""
    try:
        with open("/proc/self/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22: starttime, in ticks since boot
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return time.time() - since_boot + ticks / os.sysconf("SC_CLK_TCK")


def restore(setup_imports: str = "", hidden_seed_secret: str = "") -> list[str]:
    """Put everything back that a test cell relies on, hand the checks the grading run's secret for their hidden
    seeds (`autograder.grading.in_kernel.hidden_seeds`), then rerun the setup cell's imports in the notebook's namespace;
    return what had been changed and which of the course's files the notebook tried to read (for review). Run
    before each graded test cell."""
    changed = [f"put back {item}" for item in _stop_what_acts_later() + restore_classes() + _restore_kernel_state()]
    changed += [f"refused a read of {path}" for path in take_course_file_reads()]
    if hidden_seed_secret:
        hidden_seeds.use_secret(hidden_seed_secret)
    shell = _shell()
    if shell is not None and setup_imports:
        shell.user_ns["__builtins__"] = builtins
        exec(compile(setup_imports, "<setup cell imports>", "exec"), shell.user_ns)
    return changed


def restore_classes() -> list[str]:
    """Put the classes of the protected modules back as they were; return what had been changed."""
    changed = []
    for cls, saved in _saved_classes.items():
        current = vars(cls)
        for name in [name for name in current if name not in saved]:
            inherited = [_saved_classes.get(base, vars(base)).get(name) for base in cls.__mro__[1:]]
            if name == "__slotnames__" or any(  # copyreg caches a class's slot names there when it first copies one
                _torch_profiling_wrapper(current[name], original) for original in inherited if original
            ):
                saved[name] = current[name]
                continue
            delattr(cls, name)
            changed.append(f"{cls.__qualname__}.{name}")
        for name, value in saved.items():
            now = current.get(name, _saved_classes)
            if now is value:
                continue
            if _torch_profiling_wrapper(now, value) or _torch_cache_registration(cls, now):
                saved[name] = now
                continue
            setattr(cls, name, value)
            changed.append(f"{cls.__qualname__}.{name}")
    return changed


def _torch_cache_registration(cls: type, value) -> bool:
    """What torch itself puts on its compile cache's ``CacheInfo`` when a module that registers a kind of cache
    artifact is first imported (the first AdamW step imports two): a property made by ``CacheArtifactFactory.register``."""
    cache = sys.modules.get("torch.compiler._cache")
    if cache is None or cls is not getattr(cache, "CacheInfo", None) or not isinstance(value, property):
        return False
    register = cache.CacheArtifactFactory.register.__func__.__code__
    return getattr(value.fget, "__code__", None) in register.co_consts


def _torch_profiling_wrapper(value, original) -> bool:
    """What torch itself puts on an optimizer class's ``step`` when the first one is made (``hooked``): a wrapper
    of ``original`` (or of what ``original``, itself such a wrapper, wraps)."""
    while getattr(original, "hooked", False) is True:
        original = original.__wrapped__
    return getattr(value, "hooked", False) is True and getattr(value, "__wrapped__", None) is original


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


SHELL_METHODS = (  # what IPython calls to run a cell or to show an error: a submission may override them
    "run_cell",
    "run_cell_async",
    "run_ast_nodes",
    "run_code",
    "transform_cell",
    "transform_ast",
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "showindentationerror",
    "user_expressions",
    "ev",
    "ex",
    "set_custom_exc",
)
SHELL_ATTRIBUTES = ("custom_exceptions", "CustomTB", "InteractiveTB", "SyntaxTB", "display_formatter", "displayhook")
TIMER_SIGNALS = ("SIGALRM", "SIGVTALRM", "SIGPROF", "SIGUSR1", "SIGUSR2")
_MISSING = object()
_stop_thread = _stop_thread_address = None  # PyThreadState_SetAsyncExc, found at install
_saved_state: dict = {}


def _save_kernel_state() -> None:
    import signal

    shell = _shell()
    if shell is not None:
        for cls in type(shell).__mro__:  # the shell's classes and IPython's machinery, as for protected modules
            if cls.__module__.split(".")[0] in ("IPython", "ipykernel"):
                _saved_classes[cls] = dict(vars(cls))
        for cls in (type(shell.events), type(shell.input_transformer_manager)):
            _saved_classes[cls] = dict(vars(cls))
        _saved_state["methods"] = {name: vars(shell).get(name, _MISSING) for name in SHELL_METHODS}
        _saved_state["attributes"] = {name: getattr(shell, name) for name in SHELL_ATTRIBUTES}
        _saved_state["lists"] = [
            (owner, name, getattr(owner, name), list(getattr(owner, name)))
            for owner, name in [
                (shell, "ast_transformers"),
                (shell, "input_transformers_post"),
                (shell.input_transformer_manager, "cleanup_transforms"),
                (shell.input_transformer_manager, "line_transforms"),
                (shell.input_transformer_manager, "token_transformers"),
            ]
        ]
        _saved_state["events"] = {event: list(callbacks) for event, callbacks in shell.events.callbacks.items()}
    _saved_state["sys"] = {name: getattr(sys, name) for name in ("stdout", "stderr")}  # IPython swaps displayhook
    _saved_state["signals"] = {
        name: signal.getsignal(getattr(signal, name)) for name in TIMER_SIGNALS if hasattr(signal, name)
    }


def _stop_what_acts_later() -> list[str]:
    """Cancel the timers, put back the signal handlers and stop the threads the notebook started; return what was
    there. First of all: a timer or a thread could otherwise change things again while they are put back."""
    import signal

    changed = []
    for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
        if signal.getitimer(timer) != (0.0, 0.0):
            signal.setitimer(timer, 0)
            changed.append("a timer signal")
    for name, handler in _saved_state.get("signals", {}).items():
        if signal.getsignal(getattr(signal, name)) is not handler:
            signal.signal(getattr(signal, name), handler)
            changed.append(f"the {name} handler")
    stopped, running = _stop_notebook_threads()
    if stopped:
        changed.append(f"{stopped} thread(s) that the notebook started (stopped)")
    if running:
        changed.append(f"{running} thread(s) that the notebook started, which would not stop")
    return changed


def _restore_kernel_state() -> list[str]:
    """IPython's hooks, transformers and event callbacks, sys's hooks and torch's modes as they were when the kernel
    started; return what had been changed."""
    import torch

    changed = []
    shell = _shell()
    if shell is not None and "attributes" in _saved_state:
        for name, saved in _saved_state["methods"].items():  # an instance attribute hides the class's method
            if vars(shell).get(name, _MISSING) is not saved:
                if saved is _MISSING:
                    delattr(shell, name)
                else:
                    setattr(shell, name, saved)
                changed.append(f"IPython shell.{name}")
        for name, value in _saved_state["attributes"].items():
            if getattr(shell, name) is not value:
                setattr(shell, name, value)
                changed.append(f"IPython shell.{name}")
        for owner, name, saved_list, saved_items in _saved_state["lists"]:
            if getattr(owner, name) is not saved_list or saved_list != saved_items:
                saved_list[:] = saved_items
                setattr(owner, name, saved_list)
                changed.append(f"IPython {name}")
        callbacks = shell.events.callbacks
        _accept_matplotlib(callbacks)
        if {event: list(items) for event, items in callbacks.items()} != _saved_state["events"]:
            callbacks.clear()
            callbacks.update({event: list(items) for event, items in _saved_state["events"].items()})
            changed.append("IPython event callbacks")
    for name, value in _saved_state.get("sys", {}).items():
        if getattr(sys, name) is not value:
            setattr(sys, name, value)
            changed.append(f"sys.{name}")
    while torch._C._len_torch_function_stack() > 0:
        torch._C._pop_torch_function_stack()
        changed.append("a torch function mode")
    while torch._C._len_torch_dispatch_stack() > 0:
        torch._C._pop_torch_dispatch_stack()
        changed.append("a torch dispatch mode")
    return changed


MATPLOTLIB_CALLBACKS = (  # what pyplot and the inline backend register on post_execute when a notebook first draws
    ("matplotlib.pyplot", "_draw_all_if_interactive"),
    ("matplotlib_inline.backend_inline", "flush_figures"),
)


def _accept_matplotlib(callbacks: dict[str, list]) -> None:
    """Keep the callbacks with which matplotlib shows a notebook's figures: they are no student's change (without
    this, every notebook that draws a figure was flagged for review)."""
    saved = _saved_state["events"].setdefault("post_execute", [])
    for module, name in MATPLOTLIB_CALLBACKS:
        callback = getattr(sys.modules.get(module), name, None)
        if callback is not None and callback in callbacks.get("post_execute", []) and callback not in saved:
            saved.append(callback)


def _stop_notebook_threads(attempts: int = 20) -> tuple[int, int]:
    """Raise SystemExit in every thread the notebook started, until none is left; return (stopped, still running).

    A thread could otherwise change what a test cell runs after everything was put back."""
    stopped = set()
    for _ in range(attempts):
        started = [thread for thread in threading.enumerate() if _started_by_the_notebook(thread)]
        if not started:
            break
        for thread in started:
            _stop_thread(ctypes.c_ulong(thread.ident), ctypes.py_object(SystemExit))
            stopped.add(thread.ident)
        for thread in started:
            thread.join(timeout=0.05)
    running = sum(1 for thread in threading.enumerate() if _started_by_the_notebook(thread))
    return len(stopped) - running, running


def _started_by_the_notebook(thread) -> bool:
    """A thread whose class or function the notebook defined (its code runs as module ``__main__``)."""
    function = getattr(thread, "_target", None) or getattr(thread, "function", None)  # Thread, Timer
    return "__main__" in (type(thread).__module__, getattr(function, "__module__", None))


def _protect_loaded_modules() -> None:
    for name, module in list(sys.modules.items()):
        if (
            type(module) is types.ModuleType
            and name.split(".")[0] in PROTECTED
            and not getattr(getattr(module, "__spec__", None), "_initializing", False)
        ):
            module.__class__ = ReadOnlyModule
            with warnings.catch_warnings():  # reading some deprecated torch names warns
                warnings.simplefilter("ignore")
                classes = [
                    value
                    for value in list(vars(module).values())
                    if isinstance(value, type) and value.__module__ == name
                ]
            _saved_classes.update((cls, dict(vars(cls))) for cls in classes)


def _is_protected(obj) -> bool:
    """A function of a protected module that has finished importing."""
    if not isinstance(obj, types.FunctionType):
        return False
    module_name = str(getattr(obj, "__module__", None))
    module = sys.modules.get(module_name)
    return module_name.split(".")[0] in PROTECTED and not getattr(
        getattr(module, "__spec__", None), "_initializing", False
    )


def _name_of(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
