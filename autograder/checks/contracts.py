"""What every exercise keeps, whatever it computes: checked around each call of student code by `Check.call`.

A check compares what student code returns with the reference. These contracts are about what it does besides:

- **its arguments stay as they were**: tensors (values, shape, dtype, ``requires_grad``), lists, tuples, dicts and
  sets (their items), modules (parameters and buffers, which parameter objects they are, ``requires_grad`` flags, and
  eval mode: a call may put a model in eval mode, as inference helpers do, never into training mode), unless the
  call says what it may change (``changes``);
- **no autograd graph** where the call must not build one (``graph=False``: generation runs under
  ``torch.no_grad()``);
- **grad mode** is as it was (``torch.no_grad()`` as a block, never ``torch.set_grad_enabled(False)`` left on);
- **the global random state** is as it was, unless the call may draw from it (``draws``): building a layer draws,
  attention does not; a call that draws never reseeds (:func:`reseeds`);
- **gradients flow back** through a floating-point result (:func:`backward_through`);
- **a second call with the same arguments gives the same result** (nothing kept between calls: a mutable default
  argument, a global, a cache), checked once per check, silently;
- **results follow their inputs' device and dtype**, checked once per check where a module is involved, without a
  GPU: the call runs again on copies moved to PyTorch's ``meta`` device (shapes and dtypes, no data) in float64,
  and a tensor made on the CPU that meets one of the inputs' (``torch.arange(T)`` with no ``device=``) is caught
  where it meets it, as it would be on a GPU.

Each broken contract is a :class:`Broken`: what was expected, what came, and a hint naming the usual cause.
"""

import contextlib
import copy
import inspect
import io
import random
import types
from dataclasses import dataclass

import torch
from torch.overrides import TorchFunctionMode

NOTHING, VALUES = "nothing", "values"  # what a call may change: nothing, or the values of modules (not their set-up)


@dataclass(frozen=True)
class Broken:
    problem: str
    expected: str
    got: str
    hint: str


@dataclass
class _Tensor:
    value: torch.Tensor
    values: torch.Tensor
    shape: tuple
    requires_grad: bool


@dataclass
class _Module:
    value: torch.nn.Module
    tensors: dict  # name: _Tensor, parameters and buffers (none where the call may change values)
    parameters: dict  # name: the Parameter object
    requires_grad: dict  # name: flag
    training: dict  # submodule name: mode


@dataclass
class _Plain:
    value: object  # an immutable value held by a container: compared by value


PLAIN = (int, float, complex, str, bytes, bool, type(None))


@dataclass
class _Container:
    value: object
    items: list  # (key, record) pairs, in order


def _record(value, depth: int = 0, *, module_values: bool = True):
    """What of ``value`` a call may not change, or None for what is not watched (immutable or unknown objects).
    Without ``module_values``, a module's parameters and buffers are not copied: the call may change them."""
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta":
            return None
        return _Tensor(value, value.detach().clone(), tuple(value.shape), value.requires_grad)
    if isinstance(value, torch.nn.Module):
        tensors = {f"parameter {name}": p for name, p in value.named_parameters(remove_duplicate=False)}
        tensors |= {f"buffer {name}": b for name, b in value.named_buffers(remove_duplicate=False)}
        return _Module(
            value,
            {name: _record(tensor) for name, tensor in tensors.items()} if module_values else {},
            dict(value.named_parameters(remove_duplicate=False)),
            {name: p.requires_grad for name, p in value.named_parameters(remove_duplicate=False)},
            {name or "the model": m.training for name, m in value.named_modules(remove_duplicate=False)},
        )
    if depth > 0 and type(value) in PLAIN:
        return _Plain(value)
    if depth > 4:
        return None
    if type(value) in (list, tuple):
        items = enumerate(value)
    elif type(value) is dict:
        items = value.items()
    elif type(value) is set:
        return _Container(value, [(None, frozenset(value))])
    else:
        return None
    return _Container(value, [(key, _record(item, depth + 1, module_values=module_values)) for key, item in items])


IN_PLACE_HINT = (
    "work on a copy or with out-of-place operations (x = x - m, not x -= m or x.sub_(m); sorted(xs), not xs.sort(); "
    "xs + [end], not xs.append(end)): the caller still needs what it gave you"
)


def _tensor_change(record: _Tensor, where: str) -> Broken | None:
    now = record.value
    if tuple(now.shape) != record.shape:
        return Broken(f"{where} changed shape", str(record.shape), str(tuple(now.shape)), IN_PLACE_HINT)
    if now.requires_grad != record.requires_grad:
        return Broken(
            f"{where}: requires_grad changed",
            str(record.requires_grad),
            str(now.requires_grad),
            "leave requires_grad as the caller set it (requires_grad_() changes the caller's tensor)",
        )
    before, after = record.values, now.detach()
    same = before.dtype == after.dtype and (
        torch.equal(before, after)
        or (
            (after.is_floating_point() and torch.equal(before.isnan(), after.isnan()))
            and torch.equal(before.nan_to_num(), after.nan_to_num())
        )
    )
    if not same:
        differ = int((before != after).sum()) if before.dtype == after.dtype else before.numel()
        return Broken(
            f"{where} was changed in place ({differ} of {before.numel()} values differ)",
            "the arguments as they were given",
            "changed values",
            IN_PLACE_HINT,
        )
    return None


def _change(record, where: str) -> Broken | None:
    """How the watched value of ``record`` changed, or None."""
    if isinstance(record, _Tensor):
        return _tensor_change(record, where)
    if isinstance(record, _Module):
        return _module_change(record, where)
    if isinstance(record, _Container):
        container = record.value
        if type(container) is set:
            ((_, items),) = record.items
            if frozenset(container) != items:
                return Broken(f"{where} (a set) was changed", f"{len(items)} items", f"{len(container)}", IN_PLACE_HINT)
            return None
        keys = list(range(len(container))) if type(container) in (list, tuple) else list(container)
        if keys != [key for key, _ in record.items]:
            return Broken(
                f"{where} was changed in place",
                f"{len(record.items)} items",
                f"{len(keys)} items",
                IN_PLACE_HINT,
            )
        for key, item in record.items:
            value = container[key]
            if item is None:
                continue
            if isinstance(item, _Plain):
                both_nan = value != value and item.value != item.value
                if type(value) is not type(item.value) or not (value == item.value or both_nan):
                    return Broken(
                        f"{where} was changed in place (item {key!r})",
                        repr(item.value)[:80],
                        repr(value)[:80],
                        IN_PLACE_HINT,
                    )
                continue
            if item.value is not value:
                return Broken(f"{where}[{key!r}] was replaced", "the item as given", "another object", IN_PLACE_HINT)
            if broken := _change(item, f"{where}[{key!r}]"):
                return broken
    return None


def _module_change(record: _Module, where: str) -> Broken | None:
    module = record.value
    now = dict(module.named_parameters(remove_duplicate=False))
    if set(now) != set(record.parameters):
        return Broken(
            f"{where}: its parameters changed",
            str(sorted(record.parameters)),
            str(sorted(now)),
            "leave the caller's model as it is built: add or remove nothing",
        )
    for name, parameter in record.parameters.items():
        if now[name] is not parameter:
            return Broken(
                f"{where}: parameter {name} was replaced by another object",
                "the same nn.Parameter",
                "a new one",
                "copy values into a parameter with parameter.copy_(...) under torch.no_grad(): an optimizer "
                "built before still holds the old object",
            )
    for name, flag in record.requires_grad.items():
        if now[name].requires_grad != flag:
            return Broken(
                f"{where}: parameter {name} now has requires_grad={now[name].requires_grad}",
                f"requires_grad={flag}, as the caller set it",
                f"requires_grad={now[name].requires_grad}",
                "leave requires_grad as the caller set it: the layers the caller froze stay frozen, the ones it "
                "trains stay trainable",
            )
    modes = {name or "the model": m.training for name, m in module.named_modules(remove_duplicate=False)}
    for name, training in record.training.items():  # eval mode may be left (inference helpers set it), not training
        if modes.get(name, training) and not training:
            return Broken(
                f"{where}: {name} was switched into training mode",
                "eval mode, as the caller had it",
                "training mode: dropout on",
                "put the model back in the mode it came in: was_training = model.training; model.eval(); ...; "
                "model.train(was_training)",
            )
    for name, tensor in record.tensors.items():  # none recorded where the call may change values
        if tensor is not None and (broken := _tensor_change(tensor, f"{where}: {name}")):
            return Broken(
                broken.problem,
                broken.expected,
                broken.got,
                "change nothing of the model you are given: compute with its weights, do not write into them "
                "(no in-place operation on a parameter or buffer, no .data = ...)",
            )
    return None


class Watch:
    """What a call of student code may not change, recorded before the call; :meth:`broken` after it."""

    def __init__(self, function, args: tuple, kwargs: dict, *, changes: str, draws: bool):
        self.draws = draws
        self.values = (function, *args, *kwargs.values())
        self.names = _argument_names(function, args, kwargs)
        watched = (*args, *kwargs.values()) if changes != "anything" else ()
        self.records = [_record(value, module_values=changes == NOTHING) for value in watched]
        self.generators = [
            (value, value.get_state() if isinstance(value, torch.Generator) else value.getstate())
            for value in self.values
            if isinstance(value, torch.Generator | random.Random)
        ]
        self.grad_enabled = torch.is_grad_enabled()
        self.rng = (torch.random.get_rng_state(), random.getstate())

    def broken(self) -> Broken | None:
        if torch.is_grad_enabled() != self.grad_enabled:
            return Broken(
                "grad mode was left " + ("on" if torch.is_grad_enabled() else "off"),
                f"grad mode {'on' if self.grad_enabled else 'off'}, as the caller had it",
                f"grad mode {'on' if torch.is_grad_enabled() else 'off'}",
                "use `with torch.no_grad():` (it gives the caller's mode back when the block ends), not "
                "torch.set_grad_enabled(False) on its own",
            )
        if not self.draws and not self.rng_unchanged():
            return Broken(
                "it changed the global random state",
                "torch's and Python's global random numbers untouched",
                "numbers drawn, or a new seed",
                self._random_hint(),
            )
        for name, record in zip(self.names, self.records, strict=False):
            if record is not None and (broken := _change(record, f"argument {name}")):
                return broken
        return None

    def _random_hint(self) -> str:
        """Why a call that may not draw did: a model left in training mode, dropout on in eval mode, or a seed."""
        dropping = [
            module
            for value in self.values
            if isinstance(value, torch.nn.Module)
            for module in value.modules()
            if isinstance(module, torch.nn.Dropout) and module.p > 0
        ]
        if any(module.training for module in dropping):
            return (
                "the model is in training mode, where dropout draws random numbers: call model.eval() before "
                "reading its predictions"
            )
        if dropping:
            return (
                "in eval mode nothing is random: dropout must be off (nn.Dropout is, by itself; pass "
                "dropout_p=self.dropout.p if self.training else 0.0 to scaled_dot_product_attention)"
            )
        return (
            "this exercise draws no random numbers: do not call torch.manual_seed or random.seed in it, and draw "
            "nothing from the global generators (a generator you are given is yours to use)"
        )

    def rewind_generators(self) -> None:
        """Put the generators the call was given back as they were, for a second call to draw the same numbers."""
        for generator, state in self.generators:
            generator.set_state(state) if isinstance(generator, torch.Generator) else generator.setstate(state)

    def rng_unchanged(self) -> bool:
        return torch.equal(torch.random.get_rng_state(), self.rng[0]) and random.getstate() == self.rng[1]


def _argument_names(function, args: tuple, kwargs: dict) -> list[str]:
    """The names of the arguments as the function calls them (``scores``), else their positions."""
    with contextlib.suppress(TypeError, ValueError):
        bound = inspect.signature(function).bind(*args, **kwargs).arguments
        names = {id(value): name for name, value in bound.items()}
        return [f"`{names.get(id(value), i)}`" for i, value in enumerate((*args, *kwargs.values()))]
    return [f"{i + 1}" for i in range(len(args))] + [f"`{name}`" for name in kwargs]


def same_result(first, second) -> bool:
    """Whether two results of the same call are the same (tensors to float rounding; unknown objects: yes)."""
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor):
        if first.shape != second.shape or first.dtype != second.dtype:
            return False
        a, b = first.detach(), second.detach()
        if a.is_floating_point():
            return torch.allclose(a, b, rtol=1e-6, atol=1e-7, equal_nan=True)
        return torch.equal(a, b)
    if type(first) in (list, tuple) and type(second) is type(first):
        return len(first) == len(second) and all(same_result(a, b) for a, b in zip(first, second, strict=True))
    if type(first) is dict and type(second) is dict:
        return first.keys() == second.keys() and all(same_result(first[k], second[k]) for k in first)
    if type(first) in (int, float, str, bool, bytes, type(None)):
        return type(second) is type(first) and (first == second or (first != first and second != second))
    return True


def graph_built(saved: int) -> Broken:
    """A call that had to build no graph kept ``saved`` tensors for a backward pass."""
    return Broken(
        f"it built an autograd graph ({saved} tensors kept for a backward pass that never comes)",
        "no graph: inference under torch.no_grad()",
        "a graph the size of every forward pass",
        "decorate the function with @torch.no_grad() (or wrap its loop in `with torch.no_grad():`): without it "
        "every step keeps its activations for a backward pass, and memory grows with each token",
    )


class GraphWatch(torch.autograd.graph.saved_tensors_hooks):
    """Counts the tensors autograd saves for a backward pass while the block runs: none when no graph is built."""

    def __init__(self):
        self.saved = 0

        def pack(tensor):
            self.saved += 1
            return tensor

        super().__init__(pack, lambda tensor: tensor)

    def __enter__(self):
        super().__enter__()
        return self


def copy_of(result):
    """A copy of a result made of tensors, lists, tuples and dicts (which a second call could change), else itself."""
    if isinstance(result, torch.Tensor) or type(result) in (list, tuple, dict):
        with contextlib.suppress(Exception):
            return copy.deepcopy(result.detach() if isinstance(result, torch.Tensor) else result)
    return result


def reseeds(function, args: tuple, kwargs: dict, watch: "Watch") -> Broken | None:
    """Whether a call that may draw reseeds the global generators: run again from another global state, it ends in
    the same state as the first call did (a draw would carry the difference on; only a seed wipes it out)."""
    first_end = (torch.random.get_rng_state(), random.getstate())
    with torch.random.fork_rng():
        python_state = random.getstate()
        try:
            torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=torch.Generator().manual_seed(7))))
            random.seed(7)
            watch.rewind_generators()
            with contextlib.suppress(Exception):
                function(*args, **kwargs)
            same = torch.equal(torch.random.get_rng_state(), first_end[0]) or random.getstate() == first_end[1]
        finally:
            random.setstate(python_state)
    changed_start = not torch.equal(watch.rng[0], torch.random.get_rng_state()) or watch.rng[1] != random.getstate()
    if same and changed_start:
        return Broken(
            "it reseeds the global random generators",
            "random numbers that follow the caller's seed",
            "the same numbers whatever the caller seeded: torch.manual_seed or random.seed inside",
            "never call torch.manual_seed or random.seed inside a function: the caller seeds once, at the top of "
            "the notebook, and every later draw (weights, dropout, shuffling) follows from it",
        )
    return None


def backward_through(function, args: tuple, kwargs: dict, result) -> Broken | None:
    """Whether gradients flow back through a floating-point result to the call's floating-point inputs, as the
    training of a model needs: an in-place operation on a value autograd kept (exp's output, a layer's input)
    makes backward raise. Run on copies of the inputs that require grad; a call that cannot run that way (it
    reads values with .numpy(), say) proves nothing and passes."""
    if not (isinstance(result, torch.Tensor) and result.is_floating_point()) or not torch.is_grad_enabled():
        return None
    inputs = []

    def leaf(value):
        if isinstance(value, torch.Tensor) and value.is_floating_point() and not value.requires_grad:
            copy_ = value.detach().clone().requires_grad_(True)
            inputs.append(copy_)
            return copy_
        return value

    args, kwargs = tuple(leaf(value) for value in args), {key: leaf(value) for key, value in kwargs.items()}
    parameters = [p for value in (function, *args) if isinstance(value, torch.nn.Module) for p in value.parameters()]
    try:
        with torch.random.fork_rng():
            again = function(*args, **kwargs)
    except Exception:
        return None
    wrt = [t for t in inputs + parameters if t.requires_grad]
    if not (isinstance(again, torch.Tensor) and again.grad_fn is not None and wrt):
        return None
    try:
        torch.autograd.grad(again.sum(), wrt, allow_unused=True)  # no .grad of the caller's is touched
    except RuntimeError as error:
        if "inplace" not in str(error):
            return None
        return Broken(
            "backward through its result fails",
            "gradients that flow back to the inputs",
            "RuntimeError: a value autograd needed was modified by an in-place operation",
            "an in-place operation (x.div_(s), x += y, x[...] = ...) overwrote a tensor that autograd kept for the "
            "backward pass (exp's output, a layer's input): write it out of place (x = x / s)",
        )
    return None


REPEAT_HINT = (
    "the function keeps something between calls: a mutable default argument (def f(x, seen=[])), a global variable, "
    "or state left on a module; compute the result from the arguments alone"
)


@contextlib.contextmanager
def quiet():
    """Run student code a second time without printing twice into the notebook."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def can_run_on_meta(function, args: tuple, kwargs: dict) -> bool:
    """Whether the call involves a module and tensors, and all it is given can be copied onto the meta device (an
    optimizer, say, could not: the copy would step the caller's own)."""
    values = (function, *args, *kwargs.values())
    return (
        any(isinstance(value, torch.nn.Module) for value in values)
        and any(isinstance(value, torch.Tensor) for value in (*args, *kwargs.values()))
        and all(_copyable(value) for value in values)
    )


def _copyable(value, depth: int = 0) -> bool:
    if isinstance(value, torch.Tensor | torch.nn.Module | torch.dtype | torch.device | int | float | str | bytes):
        return True
    if value is None or isinstance(value, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        return True
    if depth < 3 and type(value) in (list, tuple):
        return all(_copyable(item, depth + 1) for item in value)
    if depth < 3 and type(value) is dict:
        return all(_copyable(item, depth + 1) for item in value.values())
    return False


class _SameDevice(TorchFunctionMode):
    """Notes the first torch call that meets a CPU tensor (more than a scalar) with a tensor on the meta device."""

    CROSSING = frozenset({"to", "copy_", "cpu", "cuda", "__setitem__", "set_", "__get__", "__set__"})

    def __init__(self):
        super().__init__()
        self.mixed: str | None = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        if self.mixed is None and name not in self.CROSSING:
            devices = {t.device.type for t in _tensors((args, kwargs)) if t.dim() > 0}
            if {"cpu", "meta"} <= devices:
                self.mixed = name
        return func(*args, **kwargs)


def _tensors(value, depth: int = 0):
    if isinstance(value, torch.Tensor):
        yield value
    elif depth < 3 and isinstance(value, list | tuple):
        for item in value:
            yield from _tensors(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item, depth + 1)


def _on_meta(value):
    """A copy of ``value`` on the meta device, floating point as float64 (tensors, modules, their containers)."""
    if isinstance(value, torch.Tensor):
        moved = value.detach().to("meta")
        moved = moved.to(torch.float64) if moved.is_floating_point() else moved
        return moved.requires_grad_(value.requires_grad) if moved.is_floating_point() else moved
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value).to(device="meta", dtype=torch.float64)
    if type(value) in (list, tuple):
        return type(value)(_on_meta(item) for item in value)
    if type(value) is dict:
        return {key: _on_meta(item) for key, item in value.items()}
    return value


def device_and_dtype(function, args: tuple, kwargs: dict, result) -> Broken | None:
    """Run the call again on meta copies in float64: a CPU-made tensor meeting the inputs, or a floating result
    that stays float32 when everything it came from is float64, breaks the contract. A call that cannot run on
    meta (it reads values: .item(), a data-dependent loop) proves nothing and passes."""
    try:
        function, args, kwargs = _on_meta(function), _on_meta(args), _on_meta(kwargs)
    except Exception:  # a module that cannot be copied or moved: nothing to learn
        return None
    mode = _SameDevice()
    meta_result = None
    with quiet(), torch.random.fork_rng(), mode, contextlib.suppress(Exception):
        meta_result = function(*args, **kwargs)
    if mode.mixed:
        return Broken(
            f"on another device, {mode.mixed}() would meet a tensor made on the CPU",
            "every tensor made inside on the input's device",
            f"a CPU tensor meeting the input's device in {mode.mixed}()",
            "make new tensors where the input is (torch.arange(T, device=x.device), torch.tensor(..., "
            "device=idx.device)), and keep the module's own tensors as buffers (self.register_buffer('mask', ...)), "
            "which .to(device) moves; on a GPU this stops with 'Expected all tensors to be on the same device'",
        )
    if (
        isinstance(result, torch.Tensor)
        and result.dtype == torch.float32
        and isinstance(meta_result, torch.Tensor)
        and meta_result.dtype != torch.float64
    ):
        return Broken(
            "in float64 the result came back as " + str(meta_result.dtype).removeprefix("torch."),
            "float64, the dtype of the input and the model",
            str(meta_result.dtype),
            "make new tensors in the input's dtype (dtype=x.dtype) and do not convert with .float(): "
            "model.to(torch.float64) must give float64 results",
        )
    return None
