# Input and target functions of the agreement levels stage (rules in levels.smk). Every
# later stage reads a level's table through level_table().


def level_table(level):
    """The interval table of level ``level``: what every downstream rule reads."""
    return f"results/corpus/levels/level{level}.csv"


def level_files():
    """Every configured level's interval table, in level order."""
    return [level_table(level) for level in LEVELS]


def alpha_files():
    return [f"results/corpus/agreement/level{level}.json" for level in LEVELS]


def truth_file():
    """The demo corpus's hidden truth, written by the demo rule beside the corpus."""
    return os.path.join(PLAN.corpus.path, "truth.csv")


def levels_targets():
    """Level tables, intervals, the split's overlap check and agreement. (Table 1 and the
    corpus figures drawn from them are the report's: report_corpus_targets().)"""
    targets = ["results/corpus/intervals.csv", *level_files(), *alpha_files()]
    targets.append("results/corpus/split_overlap.json")
    return targets
