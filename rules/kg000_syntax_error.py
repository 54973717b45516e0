from __future__ import annotations

from kgen.lint.rule import Invalid, Rule


class UnparsableFile(Rule):
    """
    ## What it does
    Reports a file that does not parse as Python, with the line and column where parsing
    stopped. The file gets this one finding; the other files of the run are still linted.
    Notebook cells are joined before parsing (IPython `%magic` and `!shell` lines are masked),
    so the location names the cell.

    ## Why is this bad?
    A script that does not parse cannot run, and no other rule can check it: a syntax error
    would otherwise hide every other finding in the file.

    ## Example
    ```python
    model.compile(optimizer="adam", loss="mse"
    ```

    ## Use instead
    ```python
    model.compile(optimizer="adam", loss="mse")
    ```

    ## Fix safety
    No fix is offered.
    """

    CODE = "KG000"
    NAME = "syntax-error"
    SEVERITY = "error"
    SUMMARY = "The file does not parse"
    # The engine reports it when parsing fails; there is nothing left for check() to read.

    VALID = (
        "import keras\n",
        "model.compile(optimizer='adam', loss='mse')\n",
        "x = [1, 2,\n     3]\n",
        "def f(*, a=1, **kw):\n    return a\n",
        "match command:\n    case 'fit':\n        pass\n",
        "async def main():\n    await run()\n",
        "print(f'{value!r:>10}')\n",
        "with open(p) as f, open(q) as g:\n    pass\n",
        "lambda x: (yield)\n",
        "class A(keras.Model):\n    def call(self, x):\n        return x\n",
        "if (n := len(data)) > 10:\n    pass\n",
    )

    INVALID = (
        Invalid("model.compile(optimizer='adam', loss='mse'\n"),
        Invalid("def build_model(:\n    pass\n"),
        Invalid("import keras\nx = = 1\n"),
        Invalid("for i in range(3)\n    print(i)\n"),
        Invalid("model = keras.Sequential([\n    layers.Dense(10)\n    layers.Dense(1)\n])\n"),
        Invalid("print 'hello'\n"),
        Invalid("if True:\nprint(1)\n"),
        Invalid("x = (1, 2\n"),
        Invalid("class :\n    pass\n"),
        Invalid("layers.Dense(10, activation=)\n"),
        Invalid("return = 5\n"),
    )
