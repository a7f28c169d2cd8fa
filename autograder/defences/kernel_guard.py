"""Guard a grading kernel against a submission that tampers with its grading.

nbgrader runs a student's cells and then the test cells in one kernel, so a submission could
replace what the tests rely on (``torch.allclose``, the course's checks, their helpers) or write
where it must not (the gradebook, the course's files, other students' work). Every grading kernel
starts with :func:`install` (see `autograder.preprocessors.guarded_execute`), which

- makes modules read-only: torch's, the course's (``autograder``), ``builtins``, ``math`` and
  ``random``; replacing or deleting one of their attributes raises AttributeError;
- keeps a copy of the attributes of their classes, which :func:`restore_classes` puts back before
  each test cell (Python cannot refuse ``torch.Tensor.__le__ = ...`` in time);
- adds a Python audit hook (it cannot be removed) that raises PermissionError on replacing the code
  of a function of those modules, writing, renaming or deleting files outside the notebook's folder
  and the temporary directory, opening an SQLite database there, starting programs, signalling
  other processes, tracing, and walking the garbage collector or ctypes to reach objects.

Code that rewrites a module's ``__dict__`` or ``sys.modules`` directly still gets around it;
`autograder.defences.tamper_scan` flags such code for an instructor to read.
"""

import os
import sys
import tempfile
import types
import warnings

PROTECTED = ("torch", "autograder", "builtins", "math", "random")
REFUSED_EVENTS = {
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
PATH_EVENTS = {  # event: positions of the paths it changes
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
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_saved_classes: dict[type, dict] = {}  # each class of a protected module: its attributes when protected


class ReadOnlyModule(types.ModuleType):
    """A module that untrusted code can add attributes to, but whose attributes it cannot replace or delete."""

    def __setattr__(self, name, value):
        replaces = name == "__class__" or (name in self.__dict__ and self.__dict__[name] is not value)
        if replaces and not _called_by_trusted_code():
            raise AttributeError(f"grading: a graded notebook may not replace {self.__name__}.{name}")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if not _called_by_trusted_code():
            raise AttributeError(f"grading: a graded notebook may not delete {self.__name__}.{name}")
        super().__delattr__(name)


def _called_by_trusted_code() -> bool:
    """Whether the code that set or deleted the attribute is trusted: a protected package (torch wraps its own
    functions when it first imports some parts), the kernel (it sets ``builtins.input`` for every cell), or
    the import system."""
    caller = sys._getframe(2).f_globals.get("__name__", "")
    return caller.split(".")[0] in (*PROTECTED, "ipykernel", "IPython", "_frozen_importlib")


def install() -> None:
    """Guard this process from now on: the notebook's folder is the working directory."""
    import matplotlib.pyplot  # noqa: F401  (imported with full rights: it may build its font cache)
    import torch  # noqa: F401

    writable = tuple(os.path.join(os.path.realpath(root), "") for root in (os.getcwd(), tempfile.gettempdir()))

    def outside(path) -> bool:
        if isinstance(path, int) or path is None or path == ":memory:":  # a file descriptor, or no file
            return False
        return not os.path.join(os.path.realpath(os.fsdecode(path)), "").startswith(writable)

    def hook(event, args):
        if event == "exec":  # a cell is about to run: what was imported so far becomes read-only
            _protect_loaded_modules()
        elif event == "object.__setattr__" or event == "object.__delattr__":
            if _is_protected(args[0]):
                raise PermissionError(f"grading: a graded notebook may not change {_name_of(args[0])}.{args[1]}")
        elif event == "open":
            path, mode, flags = args
            writes = any(letter in (mode or "") for letter in "wax+") or (mode is None and flags & WRITE_FLAGS)
            if writes and outside(path):
                raise PermissionError(f"grading: a graded notebook may write only in its own folder, not {path}")
        elif event in PATH_EVENTS:
            if any(outside(args[i]) for i in PATH_EVENTS[event]):
                raise PermissionError(
                    f"grading: a graded notebook may change files only in its own folder ({event} {args[0]})"
                )
        elif event == "os.kill" or event == "os.killpg":
            if args[0] != os.getpid():
                raise PermissionError("grading: a graded notebook may not signal other processes")
        elif event in REFUSED_EVENTS:
            raise PermissionError(f"grading: a graded notebook may not use {event}")

    _protect_loaded_modules()
    sys.addaudithook(hook)


def restore_classes() -> list[str]:
    """Put the classes of the protected modules back as they were; return what had been changed."""
    changed = []
    for cls, saved in _saved_classes.items():
        current = vars(cls)
        for name in [name for name in current if name not in saved]:
            delattr(cls, name)
            changed.append(f"{cls.__qualname__}.{name}")
        for name, value in saved.items():
            if current.get(name, _saved_classes) is not value:
                setattr(cls, name, value)
                changed.append(f"{cls.__qualname__}.{name}")
    return changed


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
