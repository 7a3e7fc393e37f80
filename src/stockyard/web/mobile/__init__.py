"""Mobile staff workflows: phone pages at /m (views.py) and the same operations as JSON at /api/v1/mobile (api.py).

scan.py turns what a scanner or a keyboard sends into a SKU, location, purchase order, transfer or count of the
chosen warehouse and holds the read models of the pages; workflows.py runs each action in one unit of work,
checking that everything scanned belongs to the chosen warehouse before calling the context's service.
"""
