"""Unscripted answers to RAG, rerank, summary-retriever, triplet and evaluator prompts.

Each test drives the real LlamaIndex / LangChain component against the emulator and asserts
the exact parsed result: answers come from the context, never from the prompt's example.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from llama_index.core import Document, DocumentSummaryIndex, SummaryIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.evaluation import (
    CorrectnessEvaluator,
    FaithfulnessEvaluator,
    RelevancyEvaluator,
)
from llama_index.core.extractors import (
    KeywordExtractor,
    QuestionsAnsweredExtractor,
    SummaryExtractor,
    TitleExtractor,
)
from llama_index.core.indices.property_graph import SimpleLLMPathExtractor
from llama_index.core.postprocessor import LLMRerank
from llama_index.core.schema import NodeWithScore, TextNode

from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-emulator-test-key"
FACTS = [
    "kimi-k2.6 has a context window of 262,144 tokens.",
    "Partial mode lets you prefill the start of Kimi's answer.",
    "Tier1 accounts get 50 concurrent requests and 200 requests per minute.",
]
QUESTION = "How large is the context window of kimi-k2.6?"


@pytest.fixture
def llm(moonshot: KimiEmulator) -> Iterator[Kimi]:
    model = Kimi(
        model="kimi-k2.6", thinking=False, api_key=KEY, base_url=moonshot.base_url, max_retries=0
    )
    yield model
    model.close()


def _documents() -> list[Document]:
    return [Document(text=text, doc_id=f"doc{i}") for i, text in enumerate(FACTS)]


def test_llama_index_query_engine_answers_from_the_context(llm: Kimi) -> None:
    engine = SummaryIndex.from_documents(_documents()).as_query_engine(llm=llm)
    assert engine.query(QUESTION).response == FACTS[0]
    refine = SummaryIndex.from_documents(_documents()).as_query_engine(
        llm=llm, response_mode="refine"
    )
    assert refine.query("What does partial mode let you prefill?").response == FACTS[1]
    assert engine.query("Who painted the Mona Lisa?").response == "The context does not say."


def test_langchain_stuff_prompt_answers_from_the_context(moonshot: KimiEmulator) -> None:
    prompt = ChatPromptTemplate.from_template(
        "Answer the question based only on the following context.\n\n"
        "Context: {context}\n\nQuestion: {question}\n\nAnswer:"
    )
    chat = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=moonshot.base_url, max_retries=0)
    chain = prompt | chat | StrOutputParser()
    answer = chain.invoke(
        {"context": "\n\n".join(FACTS), "question": "How many requests per minute does Tier1 get?"}
    )
    assert answer == FACTS[2]
    chat.close()


def test_llm_rerank_orders_the_documents_by_relevance(llm: Kimi) -> None:
    nodes = [NodeWithScore(node=TextNode(text=text, id_=f"n{i}")) for i, text in enumerate(FACTS)]
    rerank = LLMRerank(llm=llm, top_n=3, choice_batch_size=10)
    ranked = rerank.postprocess_nodes(nodes, query_str="What is the concurrency of Tier1 requests?")
    assert [(n.node.node_id, n.score) for n in ranked] == [("n2", 6.0)]
    ranked = rerank.postprocess_nodes(nodes, query_str=QUESTION)
    assert [(n.node.node_id, n.score) for n in ranked] == [("n0", 10.0), ("n1", 4.0)]


def test_document_summary_llm_retriever_picks_the_matching_document(llm: Kimi) -> None:
    index = DocumentSummaryIndex.from_documents(
        _documents(), llm=llm, embed_summaries=False, embed_model=MockEmbedding(embed_dim=8)
    )
    assert index.get_document_summary("doc1") == FACTS[1]
    retriever = index.as_retriever(retriever_mode="llm")
    found = retriever.retrieve("Which mode lets you prefill the answer?")
    assert [(n.node.ref_doc_id, n.score) for n in found] == [("doc1", 8.0)]


def test_simple_llm_path_extractor_reads_the_text_not_the_example(llm: Kimi) -> None:
    extractor = SimpleLLMPathExtractor(llm=llm, max_paths_per_chunk=5, num_workers=1)
    text = "Moonshot AI is a company founded in Beijing. Kimi is a model made by Moonshot AI."
    [node] = extractor([TextNode(text=text)])
    relations = node.metadata["relations"]
    assert [(r.source_id, r.label, r.target_id) for r in relations] == [
        ("Moonshot ai", "Is", "Company founded in beijing"),
        ("Kimi", "Is", "Model made by moonshot ai"),
    ]


def test_faithfulness_says_no_when_the_context_does_not_support_the_answer(llm: Kimi) -> None:
    evaluator = FaithfulnessEvaluator(llm=llm)
    right = evaluator.evaluate(response=FACTS[0], contexts=FACTS)
    assert (right.passing, right.feedback) == (True, "YES")
    wrong = evaluator.evaluate(
        response="kimi-k2.6 has a context window of 8,192 tokens.", contexts=FACTS
    )
    assert (wrong.passing, wrong.feedback) == (False, "NO")
    unrelated = evaluator.evaluate(response="Paris is the capital of France.", contexts=FACTS)
    assert unrelated.passing is False


def test_relevancy_and_correctness_follow_the_context(llm: Kimi) -> None:
    relevancy = RelevancyEvaluator(llm=llm)
    good = relevancy.evaluate(query=QUESTION, response=FACTS[0], contexts=FACTS)
    assert (good.passing, good.feedback) == (True, "YES")
    off = relevancy.evaluate(query=QUESTION, response=FACTS[1], contexts=FACTS)
    assert (off.passing, off.feedback) == (False, "NO")
    correctness = CorrectnessEvaluator(llm=llm)
    right = correctness.evaluate(query=QUESTION, response=FACTS[0], reference=FACTS[0])
    assert (right.score, right.passing) == (5.0, True)
    wrong = correctness.evaluate(
        query=QUESTION, response="The context window of kimi-k2.6 is small.", reference=FACTS[0]
    )
    assert (wrong.score, wrong.passing) == (2.0, False)


PLACES = [
    "Kimi is a family of models made by Moonshot AI.",
    "Moonshot AI has its offices in Beijing.",
]


def test_llama_index_chat_engines_answer_from_the_context(
    llm: Kimi, moonshot: KimiEmulator
) -> None:
    index = SummaryIndex.from_documents([Document(text=" ".join(PLACES))])
    context = index.as_chat_engine(chat_mode="context", llm=llm)
    assert context.chat("Who makes Kimi?").response == PLACES[0]
    condense = index.as_chat_engine(chat_mode="condense_plus_context", llm=llm)
    assert condense.chat("Who makes Kimi?").response == PLACES[0]
    moonshot.reset()
    # The follow-up is condensed first (echoing it would retrieve with "You said: ..."), then
    # answered with the question before it.
    assert condense.chat("And where are their offices?").response == PLACES[1]
    condensed = next(r.json for r in moonshot.requests if r.path.endswith("/chat/completions"))
    assert "Follow Up Input: And where are their offices?" in condensed["messages"][-1]["content"]


def test_condense_question_resolves_there(moonshot: KimiEmulator) -> None:
    prompt = ChatPromptTemplate.from_template(
        "Given the following conversation and a follow up question, rephrase the follow up "
        "question to be a standalone question, in its original language.\n\nChat History:\n"
        "{chat_history}\nFollow Up Input: {question}\nStandalone question:"
    )
    chat = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=moonshot.base_url, max_retries=0)
    chain = prompt | chat | StrOutputParser()
    history = "Human: What's the weather in Paris?\nAssistant: Sunny."
    standalone = chain.invoke({"chat_history": history, "question": "How many people live there?"})
    assert standalone == "How many people live in Paris?"
    chat.close()


def test_metadata_extractors_draw_from_the_text(llm: Kimi) -> None:
    text = (
        "Kimi K2.6 is a model made by Moonshot AI. Kimi K2.6 reads images and video. "
        "Moonshot AI is located in Beijing."
    )
    extractors = [
        TitleExtractor(llm=llm, nodes=1),
        KeywordExtractor(llm=llm, keywords=3),
        QuestionsAnsweredExtractor(llm=llm, questions=2),
        SummaryExtractor(llm=llm),
    ]
    nodes = [TextNode(text=text)]
    for extractor in extractors:
        nodes = extractor(nodes)
    metadata = nodes[0].metadata
    assert metadata["document_title"] == "Kimi K2.6 is a model made by Moonshot"
    assert metadata["excerpt_keywords"] == "kimi, k2.6, moonshot"
    assert metadata["questions_this_excerpt_can_answer"] == (
        "1. What does the text say about Kimi K2.6?\n2. What does the text say about Moonshot AI?"
    )
    assert metadata["section_summary"] == (
        "Kimi K2.6 is a model made by Moonshot AI. Kimi K2.6 reads images and video."
    )
