"""The shared training module (neural/training.py) on toy problems whose answers are known: the
restored best state is the one whose loss was recorded, the L-BFGS finish never raises the loss,
the schedules reach their stated learning rates, a non-finite loss stops training, and the log
lines come one per tenth of the run when stderr is not a terminal."""
import math

import pytest
import torch

from smatrix.neural.training import BestState, Progress, Schedule, adam_epochs, keep_best, lbfgs_finish


class _Point(torch.nn.Module):
    def __init__(self, x0):
        super().__init__()
        self.x = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))


def _rosenbrock(m):
    x, y = m.x
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _run(lr, epochs):
    m = _Point([-1.2, 1.0])
    modules = {"m": m}
    opt, sched = Schedule(lr_max=lr, lr_min=lr / 10, period=epochs).build(m.parameters())
    best = BestState()
    history, stopped = adam_epochs(lambda: _rosenbrock(m), opt, sched, best, modules, 0, epochs,
                                   Progress("toy", epochs, False))
    return m, modules, best, history, stopped


def test_restored_best_state_has_the_recorded_loss():
    """A learning rate large enough that the loss rises and falls: after keep_best the network's
    own loss is the recorded best, the lowest of all scored states (the final one included)."""
    m, modules, best, history, stopped = _run(0.5, 60)
    assert not stopped and len(history) == 60
    assert any(b > a for a, b in zip(history, history[1:]))              # not monotone: the case that matters
    with torch.no_grad():
        final = _rosenbrock(m).item()
    loss = keep_best(lambda: _rosenbrock(m), best, modules, 60)
    with torch.no_grad():
        assert _rosenbrock(m).item() == loss == best.loss
    assert loss == min(min(history), final)
    assert history[best.epoch] == loss if best.epoch < 60 else final == loss


def test_lbfgs_finish_lowers_the_loss_or_keeps_the_best():
    m, modules, best, history, _ = _run(1e-2, 30)
    before = keep_best(lambda: _rosenbrock(m), best, modules, 30)
    kept = lbfgs_finish(list(m.parameters()), lambda: _rosenbrock(m), best, modules, 200, 230, lr=1.0)
    with torch.no_grad():
        after = _rosenbrock(m).item()
    assert kept and after < 1e-10 < before                                # the minimum (1, 1) of Rosenbrock
    assert torch.allclose(m.x.detach(), torch.tensor([1.0, 1.0], dtype=torch.float64), atol=1e-5)
    # a finish that cannot help (a huge step, one iteration, no line search gain) is undone
    m2 = _Point([1.0, 1.0])
    best2 = BestState()
    keep_best(lambda: _rosenbrock(m2) + 1.0, best2, {"m": m2}, 0)
    assert not lbfgs_finish(list(m2.parameters()), lambda: _rosenbrock(m2) + 1.0, best2, {"m": m2}, 5, 5, lr=1.0)
    assert torch.equal(m2.x.detach(), torch.tensor([1.0, 1.0], dtype=torch.float64))


def test_schedules_reach_their_stated_learning_rates():
    p = [torch.nn.Parameter(torch.zeros(1))]
    opt, sched = Schedule.one_cycle(2e-3, 50).build(p)
    lrs = []
    for _ in range(50):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == 2e-3 and opt.param_groups[0]["lr"] == pytest.approx(2e-5, rel=1e-12)
    assert all(b < a for a, b in zip(lrs, lrs[1:]))                       # one decay, no restart
    assert lrs[25] == pytest.approx(2e-5 + (2e-3 - 2e-5) / 2, rel=1e-12)   # cosine: half-way at mid-run
    opt, sched = Schedule(lr_max=1e-3, lr_min=1e-5, period=10).build(p)
    for _ in range(10):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-3, rel=1e-12)     # a warm restart
    with pytest.raises(ValueError):
        Schedule(lr_max=1e-3, lr_min=1e-2).validate()


def test_non_finite_loss_stops_training():
    m = _Point([1.0, 2.0])
    opt, sched = Schedule.one_cycle(1e-3, 5).build(m.parameters())
    with pytest.raises(FloatingPointError, match="toy loss became nan at epoch 0"):
        adam_epochs(lambda: m.x.sum() * math.nan, opt, sched, BestState(), {"m": m}, 0, 5, Progress("toy", 5, False))


def test_log_lines_once_per_tenth_when_not_a_terminal(capsys):
    bar = Progress("toy", 100)
    assert not bar.tty                                                    # pytest captures stderr
    for epoch in range(1, 101):
        bar.update(epoch, f"loss {epoch}")
    bar.close()
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split()[2] for line in lines] == [f"{k}/100" for k in range(10, 101, 10)]
    Progress("toy", 100, every=25).update(50, "x")
    Progress("toy", 100, enabled=False).update(50, "x")
    assert capsys.readouterr().err.count("toy: epoch 50/100") == 1
