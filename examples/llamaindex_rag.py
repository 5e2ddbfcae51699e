"""RAG over your own files with LlamaIndex: Kimi extracts the text, BM25 retrieves, Kimi answers.

No embedding model to download: BM25 (llama-index-retrievers-bm25) ranks the extracted text.
Real API with MOONSHOT_API_KEY, else the offline emulator. Run: python examples/llamaindex_rag.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.retrievers.bm25 import BM25Retriever

from kimi_emulator import real_or_emulated
from llama_index_kimi import Kimi, KimiFileReader

FILES = {
    "kimi_models.md": "# Kimi models\nkimi-k2.6 has a context window of 262,144 tokens.\n",
    "partial_mode.txt": "Partial mode lets you prefill the start of Kimi's answer.\n",
    "rate_limits.csv": "tier,concurrency,rpm\nTier1,50,200\nTier2,100,500\n",
}


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    with real_or_emulated() as settings:
        documents = KimiFileReader(delete_after=True, **settings).load_data(
            sorted(folder.iterdir())
        )
        retriever = BM25Retriever.from_defaults(nodes=documents, similarity_top_k=2)
        llm = Kimi(model="kimi-k2.6", thinking=False, **settings)
        engine = RetrieverQueryEngine.from_args(retriever, llm=llm)
        question = "How large is the context window of kimi-k2.6?"
        answer = engine.query(question)
        print(f"\nquestion: {question}")
        print(f"answer:   {answer.response}")
        print(f"sources:  {[n.node.metadata['file_name'] for n in answer.source_nodes]}")


if __name__ == "__main__":
    main()
