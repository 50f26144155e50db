"""The essay's figures: named recipes with their claims as checks, and the gallery page.

    figures  the catalogue: recipes, claims, cache, render
    gallery  figures/index.html, from each figure's sidecar
"""
