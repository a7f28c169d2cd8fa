"""The building blocks of every check: calling student code, strict comparisons, clear failures."""

import contextlib
import inspect
import math
import random
import re
import reprlib

import torch

from autograder.checks import contracts
from autograder.grading import protocol
from autograder.reference.lock import ReferenceUsedError, forbid

_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 12


def show(value) -> str:
    """A short, readable repr for failure messages."""
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)}, dtype {value.dtype}"
    return _short.repr(value)


# float32 computed in another order (einsum, fused kernels, another formula) differs by a few 1e-6
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def parameter_names(module: torch.nn.Module) -> list[str]:
    return [name for name, _ in module.named_parameters()]


_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """Another library's message as plain text: terminal colour codes and control characters removed."""
    return _TERMINAL_CODES.sub("", str(text))


def _names_hint(module: torch.nn.Module, names: list[str], expected: list[str]) -> str:
    """Why the parameter names differ: one module object registered twice (its parameters are listed once),
    a missing or extra bias, or else layers named otherwise than the exercise says."""
    seen = {}
    for name, submodule in module.named_modules(remove_duplicate=False):
        if next(submodule.parameters(), None) is None:
            continue
        if id(submodule) in seen:
            return (
                f"{seen[id(submodule)] or 'the module'} and {name} are the same module object, so they share their "
                "weights and named_parameters() lists them once: build a new module for each place "
                "(a list comprehension), not [module] * n or one object used twice"
            )
        seen[id(submodule)] = name
    owners = {}
    for name, parameter in module.named_parameters(remove_duplicate=False):
        if id(parameter) in owners:
            return (
                f"{owners[id(parameter)]} and {name} are one and the same parameter: give each layer its own "
                "(nn.Linear, nn.Embedding and nn.Parameter create new ones), do not assign one layer's to another"
            )
        owners[id(parameter)] = name
    missing, extra = sorted(set(expected) - set(names)), sorted(set(names) - set(expected))
    if missing + extra and all(name.endswith(".bias") for name in missing + extra):
        if extra:
            return (
                f"unexpected {', '.join(extra)}: nn.Linear has a bias unless created with bias=False; "
                "pass bias= as the exercise says (bias=qkv_bias for the query, key and value projections)"
            )
        return f"missing {', '.join(missing)}: create these layers with a bias (bias=qkv_bias, or nn.Linear's default)"
    return "name the layers exactly as the exercise says, so weights can be copied between modules"


class CheckFailure(AssertionError):
    """A failed check, worded for the student."""

    def __init__(self, check: str, problem: str, *, expected=None, got=None, hint: str | None = None):
        lines = [f"{check}: {problem}"]
        if expected is not None:
            lines.append(f"  expected: {expected}")
        if got is not None:
            lines.append(f"  got:      {got}")
        if hint:
            lines.append(f"  hint:     {hint}")
        super().__init__("\n".join(lines))


class Check:
    """The check of one exercise, visible or hidden. Use ``with Check(exercise) as check:`` and its helpers;
    `autograder.checks.registry` opens one for each declared check."""

    def __init__(self, exercise: str, *, hidden: bool = False):
        self.name = protocol.check_name(exercise, hidden)
        self.reference = exercise  # the reference that student code under this check may not call
        self.cases = 0
        self._checked: set[str] = set()  # the contracts that run student code again, checked once per check

    def __enter__(self):
        # Checks draw random numbers; the notebook's random streams must not notice.
        self._python_state, self._torch_state = random.getstate(), torch.random.get_rng_state()
        self._grad_enabled = torch.is_grad_enabled()  # nor its grad mode, whatever the student code left
        return self

    def __exit__(self, kind, error, traceback):
        random.setstate(self._python_state)
        torch.random.set_rng_state(self._torch_state)
        torch.set_grad_enabled(self._grad_enabled)
        if kind is None:
            print(f"{protocol.pass_line(self.name)} ({self.cases} case{'s' * (self.cases != 1)})")
        return False

    def fail(self, problem: str, *, expected=None, got=None, hint: str | None = None):
        raise CheckFailure(self.name, problem, expected=expected, got=got, hint=hint)

    def reject_reference(self, obj):
        """Fail when ``obj`` is one of the course's own reference objects."""
        if str(getattr(obj, "__module__", "")).startswith("autograder"):
            self.fail(
                "this is the course's reference implementation, not yours",
                hint="write the code yourself in the exercise cell",
            )

    def call(
        self,
        function,
        *args,
        description: str | None = None,
        hint: str | None = None,
        changes: str = contracts.NOTHING,
        draws: bool = False,
        again: bool = True,
        graph: bool = True,
        **kwargs,
    ):
        """Run student code; turn its exceptions (and use of the reference) into clear failures, and hold it to the
        contracts of `autograder.checks.contracts`: ``changes`` says what of its arguments it may change
        (``contracts.NOTHING``, ``contracts.VALUES`` of modules, or ``"anything"``), ``draws`` whether it may draw
        from the global random generators, ``again=False`` leaves out the second call with the same arguments (where
        the check counts what the call does; the runs on copies stay), and ``graph=False`` says the call must build
        no autograd graph (inference: generation runs under torch.no_grad())."""
        self.cases += 1
        draws = draws or inspect.isclass(function)  # building a layer draws its initial weights
        call = description or f"{getattr(function, '__name__', 'your code')}(...)"
        watch = contracts.Watch(function, args, kwargs, changes=changes, draws=draws)
        with contextlib.nullcontext() if graph else contracts.GraphWatch() as built:
            result = self._run(function, args, kwargs, call, hint)
        if not graph and built.saved:
            self._hold(call, contracts.graph_built(built.saved))
        self._hold(call, watch.broken())
        once = not inspect.isclass(function) and not isinstance(result, torch.nn.Module)
        if changes != contracts.NOTHING:  # the contracts below run the call again: only for calls that change nothing
            return result
        if draws and self._first("reseed"):
            with contracts.quiet(), forbid(self.reference):
                self._hold(call, contracts.reseeds(function, args, kwargs, watch))
        if once and self._first("backward"):
            with contracts.quiet(), forbid(self.reference):
                self._hold(call, contracts.backward_through(function, args, kwargs, result))
        if again and once and watch.rng_unchanged() and self._first("repeat"):
            first = contracts.copy_of(result)  # the first result as it was: a second call may change it
            watch.rewind_generators()
            with contracts.quiet():
                second = self._run(function, args, kwargs, f"a second call of {call}", hint)
            if not (contracts.same_result(first, second) and contracts.same_result(first, result)):
                self.fail(
                    f"{call}: a second call with the same arguments gave another result",
                    expected=show(first),
                    got=show(second),
                    hint=contracts.REPEAT_HINT,
                )
        if contracts.can_run_on_meta(function, args, kwargs) and self._first("device"):
            with forbid(self.reference):
                self._hold(call, contracts.device_and_dtype(function, args, kwargs, result))
        return result

    def _first(self, contract: str) -> bool:
        """Whether ``contract``, which runs student code again, is checked now: once per check."""
        first = contract not in self._checked
        self._checked.add(contract)
        return first

    def _hold(self, call: str, broken: contracts.Broken | None) -> None:
        """Fail when a contract is broken."""
        if broken:
            self.fail(f"{call}: {broken.problem}", expected=broken.expected, got=broken.got, hint=broken.hint)

    def _run(self, function, args: tuple, kwargs: dict, call: str, hint: str | None):
        with forbid(self.reference):
            try:
                return function(*args, **kwargs)
            except ReferenceUsedError as error:
                self.fail(str(error), hint="write the code yourself instead of importing the course's solution")
            except NotImplementedError as error:
                raise CheckFailure(
                    self.name,
                    "the exercise is not done yet",
                    hint="replace `raise NotImplementedError()` in the exercise cell with your code",
                ) from error
            except Exception as error:
                raise CheckFailure(
                    self.name,
                    f"{call} raised {type(error).__name__}: {clean(error)}",
                    hint=hint or "the traceback above this message points at the line in your code",
                ) from error

    @contextlib.contextmanager
    def expect_error(self, error_type: type[Exception], description: str, hint: str | None = None):
        """Expect the block (student code) to raise ``error_type``."""
        self.cases += 1
        try:
            with forbid(self.reference):
                yield
        except error_type:
            return
        except ReferenceUsedError as error:
            self.fail(str(error), hint="write the code yourself instead of importing the course's solution")
        except Exception as error:
            self.fail(
                f"{description} raised the wrong error",
                expected=error_type.__name__,
                got=f"{type(error).__name__}: {clean(error)}",
                hint=hint,
            )
        self.fail(f"{description} raised no error", expected=f"a {error_type.__name__}", got="no error", hint=hint)

    def equal(self, got, expected, what: str, hint: str | None = None):
        """Exact comparison that also checks types, so look-alike objects cannot pass."""
        problem = _difference(got, expected)
        if problem:
            self.fail(f"{what}: {problem}", expected=show(expected), got=show(got), hint=hint)

    def tensor(
        self, got, expected: torch.Tensor, what: str, *, rtol: float = 1e-5, atol: float = 1e-6, hint: str | None = None
    ):
        """Compare tensors: type, shape, dtype, then values with |got - expected| <= atol + rtol * |expected|."""
        if type(got) not in (torch.Tensor, torch.nn.Parameter):
            self.fail(
                f"{what}: expected a torch.Tensor",
                expected=show(expected),
                got=type(got).__name__,
                hint="build the result with torch operations and return the tensor",
            )
        if got.shape != expected.shape:
            self.fail(
                f"{what}: wrong shape",
                expected=tuple(expected.shape),
                got=tuple(got.shape),
                hint="; ".join(filter(None, [_shape_hint(tuple(got.shape), tuple(expected.shape)), hint]))
                or "compare each dimension with what the exercise asks for",
            )
        if got.dtype != expected.dtype:
            self.fail(
                f"{what}: wrong dtype",
                expected=expected.dtype,
                got=got.dtype,
                hint=f"convert with .to({expected.dtype})" if hint is None else hint,
            )
        got, expected = got.detach().cpu(), expected.detach().cpu()
        if expected.is_floating_point():
            error = (got.double() - expected.double()).abs()
            allowed = atol + rtol * expected.double().abs()
            bad = ~(error <= allowed)  # NaN counts as bad
        else:
            bad = got != expected
        if bool(bad.any()):
            where = tuple(int(i) for i in bad.nonzero()[0])
            self.fail(
                f"{what}: {int(bad.sum())} of {bad.numel()} values differ (first at index {where}"
                + (f", tolerance atol={atol:g}, rtol={rtol:g})" if expected.is_floating_point() else ")"),
                expected=_value(expected, where),
                got=_value(got, where),
                hint=hint,
            )

    def module(self, module_class, *args, described: str, parameters: list[str], **kwargs) -> torch.nn.Module:
        """Build a student module and check that it has exactly the named parameters."""
        module = self.call(module_class, *args, description=described, draws=True, **kwargs)
        if not isinstance(module, torch.nn.Module):
            self.fail(
                f"{described} is not a torch.nn.Module",
                got=type(module).__name__,
                hint="subclass nn.Module and call super().__init__() first",
            )
        names = sorted(parameter_names(module))
        self.equal(
            names, sorted(parameters), f"parameter names of {described}", hint=_names_hint(module, names, parameters)
        )
        return module

    def mask_buffer(self, module: torch.nn.Module, context_length: int, described: str) -> None:
        """The causal mask must be a buffer named mask: saved in the state_dict, moved by .to(device)."""
        mask = getattr(module, "mask", None)
        if type(mask) is not torch.Tensor or mask.shape != (context_length, context_length):
            self.fail(
                f"{described} needs a buffer named mask of shape ({context_length}, {context_length})",
                got=show(mask),
                hint="self.register_buffer('mask', ...) sized to the context length; slice it for shorter inputs",
            )
        if "mask" not in dict(module.named_buffers()):
            self.fail(
                f"{described} keeps its mask as a plain attribute, not as a buffer",
                expected="'mask' among module.named_buffers()",
                got=f"buffers {show([name for name, _ in module.named_buffers()])}",
                hint="self.register_buffer('mask', ...): a buffer is saved in the state_dict and moves with "
                "the module to a GPU, a plain tensor attribute does neither",
            )
        if not any(key == "mask" or key.endswith(".mask") for key in module.state_dict()):
            self.fail(
                f"{described} does not save its mask with its weights",
                expected="'mask' among module.state_dict()",
                got=f"state_dict keys {show(list(module.state_dict()))}",
                hint="register_buffer('mask', ...) without persistent=False: the course's checkpoints and the GPT-2 "
                "weights you load later keep the mask with the weights",
            )

    def float64_outputs(self, module, expected, x: torch.Tensor, name: str) -> None:
        """``module.to(torch.float64)`` on float64 ``x`` gives ``expected``'s float64 outputs: whatever the
        module keeps (its mask) must follow .to(), as it must follow .to(device) onto a GPU."""
        self.copy_parameters(expected, module)
        self.call(module.to, torch.float64, description=f"{name}.to(torch.float64)")
        self.module_outputs(
            module,
            expected.to(torch.float64),
            x.to(torch.float64),
            f"{name} after .to(torch.float64)",
            hint="everything the module keeps must follow .to(): register the mask with register_buffer, and "
            "build any other tensor in forward from the input (dtype=x.dtype, device=x.device)",
            **TOLERANCE,
        )

    def kept_parameters(self, module: torch.nn.Module, before: dict, sources, what: str, hint: str) -> None:
        """After copying weights into ``module`` (whose parameters were ``before``, name: Parameter):
        every parameter is still the same object, and none shares memory with the ``sources`` tensors."""
        now = dict(module.named_parameters(remove_duplicate=False))
        for name, parameter in before.items():
            if now.get(name) is not parameter:
                self.fail(
                    f"{what}: {name} is no longer the parameter it was",
                    expected=f"the same nn.Parameter object (id {id(parameter)})",
                    got=f"another object (id {id(now.get(name))})" if name in now else "no such parameter",
                    hint="copy into the existing parameter, parameter.copy_(value) under torch.no_grad(): an "
                    "optimizer built before holds the old object and would never see the new one; " + hint,
                )
        storages = {t.untyped_storage().data_ptr() for t in sources if t.numel()}
        for name, parameter in now.items():
            if parameter.numel() and parameter.untyped_storage().data_ptr() in storages:
                self.fail(
                    f"{what}: {name} shares its memory with a tensor it was copied from",
                    hint="copy the values with parameter.copy_(value): assigning .data = value (or a view of it) "
                    "makes both use one memory, so changing one changes the other; " + hint,
                )

    def module_with_weights_of(self, expected: torch.nn.Module, module_class, *args, described: str, **kwargs):
        """Build a student module that must have exactly the parameters of ``expected``, and copy its weights in,
        so that the two can be compared output for output."""
        module = self.module(module_class, *args, described=described, parameters=parameter_names(expected), **kwargs)
        self.copy_parameters(expected, module)
        return module

    def copy_parameters(self, source: torch.nn.Module, target: torch.nn.Module) -> None:
        """Copy every parameter (not buffers) of ``source`` into the same-named parameter of ``target``."""
        targets = dict(target.named_parameters())
        with torch.no_grad():
            for name, parameter in source.named_parameters():
                if targets[name].shape != parameter.shape:
                    self.fail(
                        f"parameter {name} has the wrong shape",
                        expected=tuple(parameter.shape),
                        got=tuple(targets[name].shape),
                        hint="nn.Linear(d_in, d_out) stores its weight as (d_out, d_in)",
                    )
                targets[name].copy_(parameter)

    def same_parameters(
        self, module: torch.nn.Module, expected: torch.nn.Module, what: str, *, hint: str, **tolerance
    ) -> None:
        """Compare every parameter of ``module`` with the same-named parameter of ``expected``."""
        expected_parameters = dict(expected.named_parameters())
        for name, parameter in module.named_parameters():
            self.tensor(
                parameter.detach(),
                expected_parameters[name].detach(),
                f"parameter {name} {what}",
                hint=hint,
                **tolerance,
            )

    def module_outputs(
        self,
        module,
        expected,
        x: torch.Tensor,
        described: str,
        *,
        hint: str,
        causal_hint: str | None = None,
        **tolerance,
    ):
        """Compare module(x) with expected(x) in eval mode. With ``causal_hint``, first check causality:
        changing the last token must leave every earlier output where it was."""
        module.eval()
        expected.eval()
        want = expected(x).detach()
        got = self.call(module, x.clone(), description=f"{described} on input {show(x)}")
        if causal_hint:
            changed = x.clone()
            changed[:, -1] += 10
            moved = self.call(module, changed, description="the module on an input with a changed last token")
            if type(got) is torch.Tensor and type(moved) is torch.Tensor and got.shape == moved.shape == want.shape:
                self.tensor(
                    moved[:, :-1], got[:, :-1], "outputs before a changed last token", hint=causal_hint, **tolerance
                )
        self.tensor(got, want, f"{described} output for input {show(x)}", hint=hint, **tolerance)

    def close(self, got, expected: float, what: str, *, rtol: float = 1e-6, atol: float = 1e-9, hint=None):
        """Compare a number within tolerances: |got - expected| <= atol + rtol * |expected|."""
        if type(got) not in (float, int) and not (isinstance(got, torch.Tensor) and got.numel() == 1):
            self.fail(f"{what}: expected a number", expected="float", got=type(got).__name__, hint=hint)
        value = float(got)
        if not (math.isfinite(value) and abs(value - expected) <= atol + rtol * abs(expected)):
            self.fail(what, expected=f"{expected:.6g}", got=f"{value:.6g}", hint=hint)


def _shape_hint(got: tuple, expected: tuple) -> str | None:
    if len(got) == len(expected) and sorted(got) == sorted(expected):
        return "the dimensions are in the wrong order: look for a missing or extra transpose"
    if (
        len(got) == len(expected)
        and sum(g != e for g, e in zip(got, expected)) == 1
        and any(abs(g - e) == 1 for g, e in zip(got, expected))
    ):
        return "one dimension is off by one"
    if len(got) != len(expected):
        return "the number of dimensions differs: a missing batch dimension, or a squeeze/unsqueeze too many"
    return None


def _difference(got, expected) -> str | None:
    """Describe how ``got`` differs from ``expected`` (types included); None when equal."""
    if type(expected) in (list, tuple):
        if type(got) is not type(expected):
            return f"expected a {type(expected).__name__}, got a {type(got).__name__}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = _difference(g, e)
            if problem:
                return f"first difference at position {i}: expected {show(e)}, got {show(g)}"
        if len(got) != len(expected):
            return f"expected length {len(expected)}, got length {len(got)}"
        return None
    if type(expected) is dict:
        if not isinstance(got, dict):
            return f"expected a dict, got a {type(got).__name__}"
        got = dict(got)
        odd_key = next((key for key in got if not _is_plain(key)), None)
        if odd_key is not None:
            return f"unexpected key type {type(odd_key).__name__} (key {show(odd_key)})"
        missing, extra = [k for k in expected if k not in got], [k for k in got if k not in expected]
        if missing or extra:
            return f"missing keys {show(missing)}, unexpected keys {show(extra)}"
        for key, value in expected.items():
            problem = _difference(got[key], value)
            if problem:
                return f"wrong value for key {show(key)}: {problem}"
        return None
    if type(got) is not type(expected):
        return f"expected a {type(expected).__name__}, got a {type(got).__name__}"
    return None if got == expected else "values differ"


def _is_plain(value) -> bool:
    """Built-in immutable values (and tuples of them), whose == and hash can be trusted."""
    if type(value) is tuple:
        return all(_is_plain(item) for item in value)
    return type(value) in (int, float, str, bytes, bool, type(None))


def _value(tensor: torch.Tensor, index: tuple) -> str:
    value = tensor[index].item() if index else tensor.item()
    return f"{value:.6g}" if isinstance(value, float) else str(value)
