from __future__ import annotations

import libcst as cst

from kgen.lint.models import Instance, Result
from kgen.lint.resolve import Ref
from kgen.lint.rule import Invalid, Report, Rule

# Preprocessing that learns statistics from the data it is fitted on.
_FITTED = frozenset(
    {
        "sklearn.preprocessing.StandardScaler", "sklearn.preprocessing.MinMaxScaler",
        "sklearn.preprocessing.RobustScaler", "sklearn.preprocessing.MaxAbsScaler",
        "sklearn.preprocessing.QuantileTransformer", "sklearn.preprocessing.PowerTransformer",
        "sklearn.preprocessing.KBinsDiscretizer", "sklearn.preprocessing.TargetEncoder",
        "sklearn.impute.SimpleImputer", "sklearn.impute.KNNImputer",
        "sklearn.impute.IterativeImputer", "sklearn.decomposition.PCA",
        "sklearn.decomposition.TruncatedSVD", "sklearn.feature_selection.SelectKBest",
        "sklearn.feature_extraction.text.CountVectorizer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "keras.layers.Normalization", "keras.layers.TextVectorization",
        "keras.layers.Discretization", "keras.preprocessing.text.Tokenizer",
    }
)  # fmt: skip
_FIT_METHODS = ("fit", "fit_transform", "adapt", "fit_on_texts")
_SPLITS = ("sklearn.model_selection.train_test_split", "keras.utils.split_dataset")


def _fitted_class(receiver) -> str | None:
    if isinstance(receiver, (Result, Instance)) and receiver.qualname in _FITTED:
        return receiver.qualname
    return None


def _name(arg: cst.Arg | None) -> str | None:
    return arg.value.value if arg is not None and isinstance(arg.value, cst.Name) else None


def _same_data(fit, split, split_index: int) -> bool:
    """Whether the split's argument is the data the preprocessing was fitted on, or what the
    fit_transform made of it."""
    fitted = fit.args[0]
    value = split.args[split_index]
    if isinstance(value, Result) and value.call is fit.node:
        return True  # X = scaler.fit_transform(X); train_test_split(X, ...)
    if value is None and fitted is None:  # both unknown: the same name, in the same scope
        name = _name(fit.node.args[0])
        return name is not None and name == _name(split.node.args[split_index])
    return value is fitted and value is not None


class PreprocessingLeakage(Rule):
    """
    ## What it does
    Finds a scaler, imputer, PCA, feature selector or vectoriser (scikit-learn's
    `StandardScaler`, `MinMaxScaler`, `SimpleImputer`, `TfidfVectorizer`...; Keras's
    `Normalization`/`TextVectorization` `adapt()`, the legacy `Tokenizer.fit_on_texts()`)
    fitted on data that is then split with `train_test_split` in the same function. Encoders
    fitted on labels (`LabelEncoder`, `OneHotEncoder`) are not flagged: learning the set of
    classes from all the labels leaks nothing that matters.

    ## Why is this bad?
    Fitted preprocessing learns statistics — means, variances, a vocabulary, the principal
    axes — from the data it sees. Fitting it before the split lets the test set shape the
    training features: the evaluation is optimistic and no longer measures how the model does
    on unseen data (guide §4: fit preprocessing on the training split only).

    ## Example
    ```python
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ```

    ## Fix safety
    No fix: the code has to be reordered, which is the author's job.
    """

    CODE = "KG011"
    NAME = "preprocessing-leakage"
    SEVERITY = "warning"
    SUMMARY = "A scaler/vectoriser fitted on the full data before the train/test split"
    TRIGGERS = ("keras", "sklearn")

    def check(self, facts):
        fits = []
        for index, site in enumerate(facts.calls):
            cls = _fitted_class(site.receiver) if site.method in _FIT_METHODS else None
            if cls is not None and site.args and not site.starred:
                fits.append((index, site, cls))
                continue
            if not (isinstance(site.func, Ref) and site.func.qualname in _SPLITS):
                continue
            for fit_index, fit, cls in fits:
                if fit.scope is not site.scope or fit_index > index:
                    continue
                if any(_same_data(fit, site, i) for i in range(len(site.args))):
                    yield Report(
                        fit.node,
                        f"{cls.rpartition('.')[2]} is fitted on the full data before "
                        f"{site.func.qualname.rpartition('.')[2]}: the test split leaks into training",
                        "split first, then fit on the training split and transform both",
                    )

    VALID = (
        """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
scaler = StandardScaler().fit(X_train)
X_train = scaler.transform(X_train)
X_test = scaler.transform(X_test)
""",
        """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = MinMaxScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)
""",
        # Label encoders are not leakage.
        """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
y = LabelEncoder().fit_transform(y)
X_train, X_test, y_train, y_test = train_test_split(X, y)
""",
        # Keras adapt on the training split.
        """
import keras
from sklearn.model_selection import train_test_split
x_train, x_test, y_train, y_test = train_test_split(x, y)
normalizer = keras.layers.Normalization()
normalizer.adapt(x_train)
""",
        # Different data: fitted on one array, another one split.
        """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
import pandas as pd
reference = pd.read_csv("reference.csv")
scaler = StandardScaler().fit(reference)
X_train, X_test = train_test_split(pd.read_csv("data.csv"))
""",
        # Fit in one function, split in another: not the same data.
        """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
def scale(X):
    return StandardScaler().fit_transform(X)
def split(X, y):
    return train_test_split(X, y)
""",
        # Vectoriser fitted on the training texts.
        """
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
texts_train, texts_test, y_train, y_test = train_test_split(texts, labels)
vectorizer = TfidfVectorizer(max_features=20000)
X_train = vectorizer.fit_transform(texts_train)
X_test = vectorizer.transform(texts_test)
""",
        # A scikit-learn Pipeline fitted after the split.
        """
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X_train, X_test, y_train, y_test = train_test_split(X, y)
pipeline = make_pipeline(StandardScaler())
pipeline.fit(X_train, y_train)
""",
        # Rebinding the name to new data between fit and split.
        """
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
X = pd.read_csv("old.csv")
StandardScaler().fit(X)
X = pd.read_csv("new.csv")
X_train, X_test = train_test_split(X)
""",
        # TextVectorization adapted on a separate vocabulary corpus.
        """
import keras
from sklearn.model_selection import train_test_split
vectorize = keras.layers.TextVectorization(max_tokens=20000)
vectorize.adapt(vocabulary_texts)
x_train, x_test = train_test_split(texts)
""",
    )

    INVALID = (
        Invalid("""
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
"""),
        Invalid("""
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
scaler = MinMaxScaler()
X_scaled = scaler.fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X_scaled, y)
"""),
        Invalid("""
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
df = pd.read_csv("housing.csv")
X = df.drop(columns=["price"])
y = df["price"]
scaler = StandardScaler()
scaler.fit(X)
X_train, X_test, y_train, y_test = train_test_split(X, y)
"""),
        Invalid("""
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
vectorizer = TfidfVectorizer()
features = vectorizer.fit_transform(texts)
x_train, x_test, y_train, y_test = train_test_split(features, labels)
"""),
        Invalid("""
import keras
from sklearn.model_selection import train_test_split
normalizer = keras.layers.Normalization()
normalizer.adapt(x)
x_train, x_test, y_train, y_test = train_test_split(x, y)
"""),
        Invalid("""
import tensorflow as tf
from sklearn.model_selection import train_test_split
vectorize = tf.keras.layers.TextVectorization(max_tokens=10000)
vectorize.adapt(texts)
train_texts, test_texts = train_test_split(texts, test_size=0.25)
"""),
        Invalid("""
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
X_reduced = PCA(n_components=50).fit_transform(X)
X_train, X_test = train_test_split(X_reduced)
"""),
        Invalid("""
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
def prepare(X, y):
    X = SimpleImputer(strategy="mean").fit_transform(X)
    return train_test_split(X, y, test_size=0.2)
"""),
        Invalid("""
from keras.preprocessing.text import Tokenizer
from sklearn.model_selection import train_test_split
tokenizer = Tokenizer(num_words=5000)
tokenizer.fit_on_texts(texts)
x_train, x_test, y_train, y_test = train_test_split(texts, labels)
"""),
        Invalid("""
import sklearn.preprocessing as pre
from sklearn import model_selection
X = pre.RobustScaler().fit_transform(X)
X_train, X_test = model_selection.train_test_split(X)
"""),
    )
