"""A whitespace tokenizer that folds Arabic-script spelling variants and digits in each token.

Token offsets stay those of the original text; only the token text the featurizers see is
normalised (wegwijs.normalize), so ``كيف``/``کیف`` and ``میخواهم``/``می‌خواهم`` share features.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from wegwijs.normalize import normalize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NormalizingWhitespaceTokenizer(WhitespaceTokenizer):
    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.text = normalize(token.text)
        return [token for token in tokens if token.text]
