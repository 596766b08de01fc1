"""Tasks: binary classification of strings, one registry entry per language.

| module | job |
| --- | --- |
| `task` | what a task is (`Task`, `Negatives`) and the pieces tasks share |
| `automaton` | finite automata that count and uniformly sample their strings |
| `reber`, `tomita`, `dyck`, `anbn` | the task families |
| `registry` | `TASKS` by name, task specs (``reber:hard``) |
| `data` | seeded data sets, the CSV files, the default data of each task |
| `baselines` | what trivial rules and a character n-gram model reach on a data set |
| `encoding` | strings to the ASCII codes a model reads |

Importing `randrnn.tasks` (or the registry) loads no numerical library; `data`, `baselines`
and `encoding` load pandas, scikit-learn and torch when imported themselves.
"""

from randrnn.tasks.registry import DEFAULT_TASK, TASKS, get_task, parse_spec, spec

__all__ = ["DEFAULT_TASK", "TASKS", "get_task", "parse_spec", "spec"]
