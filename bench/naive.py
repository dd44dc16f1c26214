"""The naive baseline: the pipeline of LangChain's RAG tutorial ("Build a Retrieval Augmented
Generation (RAG) App"), built as the tutorial builds it, on our embedding model and chat model.

- split: ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)``
- store: one Chroma collection (the tutorial's default distance, L2), embedded with the same
  sentence-transformers model as ours
- retrieve: dense similarity top-4 (``vectorstore.as_retriever()``'s default k)
- prompt: the tutorial's ``rlm/rag-prompt`` as one human message; documents joined by blank lines
  (``format_docs``); the question alone (the tutorial keeps no chat history)
- generate: the same chat model object as ours, streamed, ``StrOutputParser``

The tutorial has no change detection: running it again re-splits and re-embeds everything, so a
re-ingest here rebuilds the collection. To score it with our golden-set metrics, every retrieved
1000-character chunk becomes a citation of its whole span (what a tutorial user would show as the
sources), and a reply that says it does not know counts as a refusal.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.loaders import discover, load_document
from rag.chain import Token, final_answer
from rag.config import Settings
from rag.types import Answer, Chunk, Citation, Passage, Sentence, Status

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
COLLECTION = "naive-tutorial"

# The tutorial's prompt (LangChain hub "rlm/rag-prompt"), verbatim.
TUTORIAL_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to "
    "answer the question. If you don't know the answer, just say that you don't know. Use three sentences "
    "maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:"
)
PROMPT = ChatPromptTemplate.from_messages([("human", TUTORIAL_PROMPT)])

# "I don't know" in the reply's first sentence (the tutorial tells the model to say exactly that);
# also "the context does not mention/provide ..." which small models say instead.
_DONT_KNOW = re.compile(
    r"\b(?:do|does|did)\s*(?:n['’]?t|not)\s+know\b|"
    r"\b(?:context|text|passage|document|information)s?\s+(?:provided\s+)?(?:does|do)\s*(?:n['’]?t|not)\s+"
    r"(?:mention|provide|contain|say|specify|include|state|give)|"
    r"\bnot\s+(?:mentioned|provided|specified|stated|given|available)\s+in\s+the\s+(?:provided\s+|given\s+)?"
    r"(?:context|text|passages?|documents?)",
    re.IGNORECASE,
)


def is_refusal(reply: str) -> bool:
    """Whether the reply's first sentence declines to answer."""
    first = re.split(r"(?<=[.!?])\s+", reply.strip(), maxsplit=1)[0]
    return bool(_DONT_KNOW.search(first[:300]))


def format_docs(docs: Sequence[LCDocument]) -> str:
    """The tutorial's ``format_docs``."""
    return "\n\n".join(doc.page_content for doc in docs)


def open_chroma(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


@dataclass
class NaiveIngestReport:
    documents: int
    chunks: int
    chunks_embedded: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "chunks_total": self.chunks,
            "chunks_embedded": self.chunks_embedded,
            "seconds": round(self.seconds, 4),
        }


def split(settings: Settings, paths: list[Path]) -> tuple[list[LCDocument], dict[str, str]]:
    """Load the same files as our ingest and split them as the tutorial does (with start offsets)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = []
    for path in discover(paths):
        try:
            doc = load_document(path, settings.relative_source(path))
        except ValueError:
            continue
        docs.append(LCDocument(page_content=doc.text, metadata={"source": doc.source}))
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    return splitter.split_documents(docs), {d.metadata["source"]: d.page_content for d in docs}


def ingest(
    settings: Settings, embeddings: Embeddings, chroma_path: Path, paths: list[Path] | None = None
) -> tuple[Any, NaiveIngestReport]:
    """Split, embed and store the corpus from scratch (the tutorial rebuilds on every run)."""
    started = time.perf_counter()
    client = open_chroma(chroma_path)
    with contextlib.suppress(Exception):  # absent on the first run
        client.delete_collection(COLLECTION)
    collection = client.create_collection(COLLECTION)
    splits, texts = split(settings, paths or [settings.corpus_path])
    vectors = embeddings.embed_documents([d.page_content for d in splits])
    batch = client.get_max_batch_size()
    for i in range(0, len(splits), batch):
        part = splits[i : i + batch]
        collection.upsert(
            ids=[f"naive-{j}" for j in range(i, i + len(part))],
            documents=[d.page_content for d in part],
            metadatas=[d.metadata for d in part],
            embeddings=vectors[i : i + len(part)],
        )
    seconds = time.perf_counter() - started
    return collection, NaiveIngestReport(len(texts), len(splits), len(splits), seconds)


class NaiveRetriever(BaseRetriever):
    """``vectorstore.as_retriever()``: dense similarity, top 4."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Any
    embeddings: Embeddings
    k: int = TOP_K

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        res = self.collection.query(
            query_embeddings=[self.embeddings.embed_query(query)],
            n_results=self.k,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for text, meta, dist in zip(res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True):
            # squared L2 between unit vectors = 2 - 2 cos
            out.append(LCDocument(page_content=text, metadata={**meta, "score": 1.0 - float(dist) / 2.0}))
        return out


class NaivePipeline:
    """The tutorial chain ``{context: retriever | format_docs, question} | prompt | llm | StrOutputParser``,
    run step by step so that retrieval and the first token can be timed, producing our ``Answer``."""

    def __init__(self, collection: Any, embeddings: Embeddings, llm: BaseChatModel, model_name: str) -> None:
        self.retriever = NaiveRetriever(collection=collection, embeddings=embeddings)
        self.llm = llm
        self.model_name = model_name
        self.parser = StrOutputParser()

    def retrieve(self, question: str) -> list[LCDocument]:
        return self.retriever.invoke(question)

    @staticmethod
    def citations(docs: Sequence[LCDocument]) -> list[Citation]:
        """Each retrieved chunk as a citation of its whole span."""
        cites = []
        for n, doc in enumerate(docs, 1):
            start = int(doc.metadata["start_index"])
            cites.append(
                Citation(
                    n=n,
                    source=str(doc.metadata["source"]),
                    start=start,
                    end=start + len(doc.page_content),
                    text=doc.page_content,
                    score=float(doc.metadata.get("score", 0.0)),
                )
            )
        return cites

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[Token | Answer]:
        """Yield the reply token by token, then the scored-ready ``Answer`` (history is ignored)."""
        started = time.perf_counter()
        docs = self.retrieve(question)
        timings = {"retrieve_s": time.perf_counter() - started}
        messages = PROMPT.invoke({"context": format_docs(docs), "question": question})
        parts: list[str] = []
        for chunk in self.llm.stream(messages):
            text = self.parser.invoke(chunk)
            if not text:
                continue
            if not parts:
                timings["ttft_s"] = time.perf_counter() - started
            parts.append(text)
            yield Token(text)
        timings.setdefault("ttft_s", time.perf_counter() - started)
        reply = "".join(parts).strip()
        cites = self.citations(docs)
        timings["total_s"] = time.perf_counter() - started
        retrieved = tuple(
            Passage(c.n, (Chunk(str(c.n), c.source, "", c.start, c.end, c.start, c.end, c.n, c.text),), c.score)
            for c in cites
        )
        common = {"question": question, "model": self.model_name, "timings": timings, "draft": reply}
        if is_refusal(reply) or not reply:
            yield Answer(status=Status.DECLINED, retrieved=retrieved, **common)
            return
        # The tutorial chain cites nothing itself: every retrieved chunk counts as cited by the whole reply.
        sentence = Sentence(reply, tuple(c.n for c in cites))
        yield Answer(
            status=Status.ANSWERED, sentences=(sentence,), citations=tuple(cites), retrieved=retrieved, **common
        )

    def answer(self, question: str, history: Sequence[dict] | None = None) -> Answer:
        return final_answer(self.stream(question, history))
