# Demo corpus: a generator writes a small RAMAS stand-in (RAMAS layout, plus the hidden
# truth in truth.csv) under corpus.path; the corpus rule then reads it through the RAMAS
# adapter. The rule exists only when corpus.format is demo.
from emoagree.corpus.demo import demo_files


if PLAN.corpus.format == "demo":

    rule demo_corpus:
        output:
            # Every file explicitly (no directory()): per-recording rules take the media
            # files as inputs. demo_files lists truth.csv last, at the corpus root.
            [
                os.path.join(PLAN.corpus.path, f)
                for f in demo_files(PLAN.demo, PLAN.seed)
            ],
        params:
            root=lambda wildcards, output: os.path.dirname(output[-1]),
            demo=PLAN.demo_params(),
            emotions=EMOTIONS,
            seed=PLAN.seed,
        log:
            "logs/corpus/demo_corpus.log",
        benchmark:
            "benchmarks/corpus/demo_corpus.tsv"
        conda:
            "../../envs/corpus.yaml"
        threads: 2
        resources:
            mem_mb=2000,
        script:
            "../../scripts/demo_generate.py"
