"""One description per service: ``formulas/<f>/<f>/meta/service.yml``, read into a catalog."""
