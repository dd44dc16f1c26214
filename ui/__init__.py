"""The Gradio web chat (``rag serve``): a thin layer over the pipeline and pure render functions."""
