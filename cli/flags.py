"""Configuration fields → command-line flags: the library names fields in backquotes (`c0`,
`n_cheb`); the command layer shows its flags instead (`--c0`, `--n-cheb`)."""
from __future__ import annotations

import re

FLAGS = {"c0": "--c0", "target": "--c2", "direction": "--direction", "nmax": "--nmax", "grid": "--grid",
         "jmax": "--jmax", "jmin": "--jmin", "inelasticity": "--inelasticity", "eta_extend": "--eta-extend",
         "solver": "--solver", "start": "--start", "svd_cutoff": "--svd-cutoff", "rounds": "--rounds", "cutoff": "--cutoff",
         "n_cheb": "--n-cheb", "nodes": "--nodes", "sum_rule": "--sum-rule", "epochs": "--epochs", "lr": "--lr",
         "lbfgs_steps": "--lbfgs", "seed": "--seed", "gamma": "--gamma", "polish": "--no-polish",
         "s_inelastic_max": "--inelastic-max", "max_iter": "--max-iter", "continuation": "--continuation",
         "out": "--out", "threads": "--threads", "procs": "--procs", "method": "--method", "model": "--model",
         "methods": "--methods", "set": "--set", "screen_jmax": "--screen-jmax", "screen_norm": "--screen-norm",
         "spins": "--spins", "nn_stages": "--nn-stages", "n": "--n", "nn_epochs": "--nn-epochs",
         "nn_lbfgs": "--nn-lbfgs", "nn_lm": "--nn-lm", "slices": "--slices", "range": "--range", "store": "--store",
         "jmins": "--jmin-list", "nmaxs": "--nmax", "tolerance": "--tolerance", "executor": "--executor",
         "slurm_jobs": "--slurm-jobs", "slurm_cores": "--slurm-cores", "slurm_start_timeout": "--slurm-start-timeout",
         "point_timeout": "--point-timeout"}
COMMAND_FLAGS = {"primal": {"nodes": "--grid"}, "baseline": {"nodes": "--grid"}}   # where a flag names another field

_FIELD = re.compile(r"`([a-z][a-z0-9_]*)`")


def flag_names(text: str, command: str | None = None) -> str:
    """`text` with every backquoted field that is a flag of `command` written as that flag."""
    flags = {**FLAGS, **COMMAND_FLAGS.get(command or "", {})}
    return _FIELD.sub(lambda m: flags.get(m.group(1), m.group(0)), text)
