from __future__ import annotations

from kgen.lint.models import Const
from kgen.lint.rule import Invalid, Report, Rule

# Far outside what any Keras optimizer trains with (defaults: 1e-3 for Adam, 1e-2 for SGD;
# 1.0 is the ceiling people use with Adadelta/SGD on tiny problems).
_LOWEST, _HIGHEST = 1e-7, 1.0


def _number(value) -> float | None:
    if isinstance(value, Const) and type(value.value) in (int, float):
        return float(value.value)
    return None


class LearningRateOutOfRange(Rule):
    """
    ## What it does
    Checks literal optimizer settings: a `learning_rate=` (or Keras 2 `lr=`) that is zero or
    negative, above 1.0 or below 1e-7, and an `epsilon=` that is negative or at least 1.
    Only numbers written in the file are judged; schedules and variables are left alone.

    Evidence: a wrong learning rate is the most frequent hyperparameter fault in both
    published taxonomies (Humbatova et al., ICSE 2020, "suboptimal learning rate"; Islam et
    al., FSE 2019), and a typo (`1e3` for `1e-3`, `0.0` while experimenting) is the way it
    reaches a script. False-alarm risk: low; the bounds are two to three orders of magnitude
    beyond any Keras default or published recipe.

    ## Why is this bad?
    A learning rate above 1 makes the loss diverge to `nan` within a few steps; zero or below
    1e-7 means the weights never move, and a negative one climbs the loss. An epsilon of 1 or
    more swamps Adam's and RMSprop's denominators: the adaptive scaling silently disappears.
    Nothing fails: training runs and the curves are flat or `nan`.

    ## Example
    ```python
    optimizer = keras.optimizers.Adam(learning_rate=1e3)
    ```

    ## Use instead
    ```python
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    ```

    ## Fix safety
    No fix: the intended value cannot be known.
    """

    CODE = "KG020"
    NAME = "learning-rate-out-of-range"
    SEVERITY = "warning"
    SUMMARY = "An optimizer learning rate or epsilon literal far outside any sane range"

    def check(self, facts):
        for instance in facts.instances:
            if not instance.qualname.startswith("keras.optimizers."):
                continue
            if instance.qualname.startswith("keras.optimizers.schedules."):
                continue
            for arg in instance.call.args:
                keyword = arg.keyword.value if arg.keyword is not None else None
                value = _number(instance.kwargs.get(keyword)) if keyword else None
                if value is None:
                    continue
                if keyword in ("learning_rate", "lr"):
                    if value <= 0:
                        yield Report(arg, f"learning rate {value:g}: the weights never improve")
                    elif value > _HIGHEST:
                        yield Report(
                            arg,
                            f"learning rate {value:g} is above 1.0: training diverges",
                            "typical values are 1e-4 to 1e-2 (was 1e-3 meant?)",
                        )
                    elif value < _LOWEST:
                        yield Report(
                            arg,
                            f"learning rate {value:g} is below 1e-7: the weights barely move",
                            "typical values are 1e-4 to 1e-2",
                        )
                elif keyword == "epsilon" and (value < 0 or value >= 1):
                    yield Report(
                        arg,
                        f"epsilon {value:g} outside [0, 1): it swamps the adaptive scaling",
                        "epsilon is a small constant for numerical stability, like 1e-7",
                    )

    VALID = (
        """
import keras
opt = keras.optimizers.Adam(learning_rate=1e-3)
""",
        """
import keras
opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
""",
        """
import keras
opt = keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95)
""",
        """
import keras
schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10000, decay_rate=0.96)
opt = keras.optimizers.SGD(learning_rate=schedule)
""",
        """
import keras
opt = keras.optimizers.Adam(learning_rate=3e-4, epsilon=1e-7, beta_1=0.9)
""",
        """
import keras
LR = 1e3
def make(lr):
    return keras.optimizers.Adam(learning_rate=lr)
""",
        """
import keras
opt = keras.optimizers.RMSprop(learning_rate=1e-4, epsilon=1e-6)
""",
        # Fine-tuning rates are small but sane.
        """
import keras
opt = keras.optimizers.Adam(learning_rate=1e-5)
""",
        """
import keras
opt = keras.optimizers.AdamW(learning_rate=5e-5, weight_decay=0.01, epsilon=1e-8)
""",
        # Not an optimizer's epsilon.
        """
import keras
bn = keras.layers.BatchNormalization(epsilon=1.001e-5)
""",
    )

    INVALID = (
        Invalid("""
import keras
opt = keras.optimizers.Adam(learning_rate=1e3)
"""),
        Invalid("""
import keras
opt = keras.optimizers.SGD(learning_rate=10)
"""),
        Invalid("""
import keras
opt = keras.optimizers.Adam(learning_rate=0.0)
"""),
        Invalid("""
import keras
opt = keras.optimizers.Adam(learning_rate=-0.001)
"""),
        Invalid("""
import keras
opt = keras.optimizers.Adam(learning_rate=1e-10)
"""),
        Invalid("""
from keras.optimizers import RMSprop
opt = RMSprop(learning_rate=0.001, epsilon=1.0)
"""),
        Invalid("""
import tensorflow as tf
opt = tf.keras.optimizers.Adam(lr=100)
"""),
        Invalid("""
import keras
LEARNING_RATE = 5
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="mse")
"""),
        Invalid("""
import keras
opt = keras.optimizers.Adam(epsilon=-1e-7)
"""),
        Invalid("""
from keras import optimizers
opt = optimizers.Nadam(learning_rate=2.0)
"""),
    )
